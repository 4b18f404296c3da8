import {
  errorFields,
  helperLogger,
  secondsSince,
  type HelperLogger,
  type HelperLogLevel,
} from './helper-logger';

export interface LoggedOptions {
  readonly logger?: HelperLogger;
  /** Level of the entry and exit lines; a throw logs at `warn`. Default `debug`. */
  readonly level?: HelperLogLevel;
}

/**
 * Logs `"Calling <name>"` on entry and `"<name> returned"` on exit (`event: 'logged'`,
 * `phase: 'enter' | 'exit' | 'throw'`), then returns or rethrows what `fn` did.
 * Arguments and results are never logged: they may hold personal data or secrets.
 */
export async function logged<T>(
  name: string,
  fn: () => T | Promise<T>,
  options: LoggedOptions = {},
): Promise<T> {
  const logger = helperLogger(options.logger);
  const level = options.level ?? 'debug';
  logger[level]({ event: 'logged', op: name, phase: 'enter' }, `Calling ${name}`);
  const started = performance.now();
  try {
    const result = await fn();
    logger[level](
      { event: 'logged', op: name, phase: 'exit', duration_s: secondsSince(started) },
      `${name} returned`,
    );
    return result;
  } catch (error) {
    logger.warn(
      {
        event: 'logged',
        op: name,
        phase: 'throw',
        duration_s: secondsSince(started),
        ...errorFields(error),
      },
      `${name} threw`,
    );
    throw error;
  }
}
