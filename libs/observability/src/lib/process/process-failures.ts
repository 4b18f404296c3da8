import { writeSync } from 'node:fs';

/** What the process failed with: one JSON log line (level `fatal`), with the app's name. */
export function failureLine(app: string, event: string, error: unknown): string {
  return `${JSON.stringify({
    level: 'fatal',
    time: new Date().toISOString(),
    service: app,
    app,
    pid: process.pid,
    event,
    err: errorFields(error),
    msg: `${app}: ${event}: ${error instanceof Error ? error.message : String(error)}`,
  })}\n`;
}

function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    message: error.message,
    ...(code === undefined ? {} : { code }),
    ...(error.stack === undefined ? {} : { stack: error.stack }),
    ...(error.cause === undefined ? {} : { cause: errorFields(error.cause) }),
  };
}

/** Writes a line to stderr at once, even when the event loop will never turn again. */
function writeNow(line: string): void {
  try {
    writeSync(2, line);
  } catch {
    // stderr is gone: nothing left to tell
  }
}

/** Logs `startup_failed` as one JSON line and exits 1: a service that cannot start says why. */
export function exitOnStartupFailure(
  app: string,
  error: unknown,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  writeNow(failureLine(app, 'startup_failed', error));
  exit(1);
}

export interface ProcessFailureOptions {
  /** The app's name, on the line. */
  readonly app: string;
  /** Longest wait for the drain before exiting anyway. Default 10 s. */
  readonly drainTimeoutMs?: number;
}

export interface ProcessFailureHandle {
  /** What to run before exiting (e.g. `() => app.close()`): the process drains if it can. */
  drainWith(drain: () => Promise<unknown>): void;
}

let installed: { handle: ProcessFailureHandle } | undefined;

/**
 * One way for every app to fail: an unhandled rejection or an uncaught exception is logged as
 * one JSON line with the error and the app name, then the process drains (the function given
 * to `drainWith`, bounded by the drain timeout) and exits 1. A second failure while draining
 * exits at once. Installing twice keeps the first installation.
 */
export function installProcessFailureHandler(options: ProcessFailureOptions): ProcessFailureHandle {
  if (installed !== undefined) return installed.handle;
  let drain: (() => Promise<unknown>) | undefined;
  let failing = false;
  const fail = (event: string) => (error: unknown) => {
    writeNow(failureLine(options.app, event, error));
    if (failing || drain === undefined) process.exit(1);
    failing = true;
    const timeout = new Promise((resolve) => setTimeout(resolve, options.drainTimeoutMs ?? 10_000));
    void Promise.race([drain().catch(() => undefined), timeout]).finally(() => process.exit(1));
  };
  process.on('uncaughtException', fail('uncaught_exception'));
  process.on('unhandledRejection', fail('unhandled_rejection'));
  const handle: ProcessFailureHandle = {
    drainWith: (fn) => {
      drain = fn;
    },
  };
  installed = { handle };
  return handle;
}
