import { rootLogger } from '../logging/logger';

/** One structured log call: fields first, message second (pino's order). */
export type StructuredLogFn = (fields: Record<string, unknown>, msg: string) => void;

/** The slice of a logger the helpers need; a pino `Logger` fits. */
export interface HelperLogger {
  readonly trace: StructuredLogFn;
  readonly debug: StructuredLogFn;
  readonly info: StructuredLogFn;
  readonly warn: StructuredLogFn;
  readonly error: StructuredLogFn;
}

export type HelperLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export function helperLogger(logger: HelperLogger | undefined): HelperLogger {
  return logger ?? rootLogger();
}

/** Seconds since `started` (from `performance.now()`), rounded to the millisecond. */
export function secondsSince(started: number): number {
  return Math.round(performance.now() - started) / 1000;
}

export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      error: error.message,
      error_name: error.name,
      ...(typeof code === 'string' || typeof code === 'number' ? { error_code: code } : {}),
    };
  }
  return { error: String(error) };
}
