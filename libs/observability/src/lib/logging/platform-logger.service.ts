import type { LoggerService, LogLevel as NestLogLevel } from '@nestjs/common';
import type { Level, Logger } from 'pino';

const STACK_LINE = /\n\s+at /;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const NEST_TO_PINO: Readonly<Record<NestLogLevel, Level>> = {
  verbose: 'trace',
  debug: 'debug',
  log: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
};

/**
 * Nest's `LoggerService` over pino, so framework and `new Logger(X.name)` lines come out as
 * the same JSON as everything else: `context` is the Nest context, an object message becomes
 * fields, an `Error` goes under `err`. Use with `NestFactory.create(…, { bufferLogs: true })`
 * and `app.useLogger(app.get(PlatformLogger))`.
 */
export class PlatformLogger implements LoggerService {
  constructor(readonly pino: Logger) {}

  log(message: unknown, ...optionalParams: unknown[]): void {
    this.write('info', message, optionalParams);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    this.write('error', message, optionalParams);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.write('warn', message, optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.write('debug', message, optionalParams);
  }

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.write('trace', message, optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.write('fatal', message, optionalParams);
  }

  /** Nest's `logLevels` option: the most verbose level listed becomes pino's level. */
  setLogLevels(levels: NestLogLevel[]): void {
    const order: readonly NestLogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];
    const lowest = order.find((level) => levels.includes(level));
    this.pino.level = lowest === undefined ? 'silent' : NEST_TO_PINO[lowest];
  }

  private write(level: Level, message: unknown, optionalParams: readonly unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const params = [...optionalParams];
    const fields: Record<string, unknown> = {};

    // Nest appends the context as the last string argument; `error(msg, stack, context)`
    // puts a stack before it (or `undefined` when there is none).
    const last = params.at(-1);
    if (
      typeof last === 'string' &&
      !(level === 'error' && params.length === 1 && STACK_LINE.test(last))
    ) {
      fields['context'] = last;
      params.pop();
    }
    for (const param of params) {
      if (param === undefined) continue;
      if (param instanceof Error) fields['err'] = param;
      else if (typeof param === 'string' && STACK_LINE.test(param)) fields['stack'] = param;
      else if (isRecord(param)) Object.assign(fields, param);
      else fields['args'] = [...((fields['args'] as unknown[] | undefined) ?? []), param];
    }

    let msg: string;
    if (message instanceof Error) {
      fields['err'] = message;
      msg = message.message;
    } else if (isRecord(message)) {
      const { msg: inner, message: text, ...rest } = message;
      Object.assign(fields, rest);
      msg = typeof inner === 'string' ? inner : typeof text === 'string' ? text : '';
    } else {
      msg = typeof message === 'string' ? message : String(message);
    }
    this.pino[level](fields, msg);
  }
}
