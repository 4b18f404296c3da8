import {
  errorFields,
  helperLogger,
  secondsSince,
  type HelperLogger,
  type HelperLogLevel,
} from './helper-logger';

export interface TimedOptions {
  readonly logger?: HelperLogger;
  /** Level of the success line; failures log at `warn`. Default `info`. */
  readonly level?: HelperLogLevel;
}

/**
 * Runs `fn` and logs `"<name> completed in 1.234s"` with `{ event: 'timed', op, duration_s }`,
 * or `"<name> failed after 1.234s"` at `warn` before rethrowing.
 */
export async function timed<T>(
  name: string,
  fn: () => T | Promise<T>,
  options: TimedOptions = {},
): Promise<T> {
  const logger = helperLogger(options.logger);
  const started = performance.now();
  try {
    const result = await fn();
    const duration = secondsSince(started);
    logger[options.level ?? 'info'](
      { event: 'timed', op: name, duration_s: duration, ok: true },
      `${name} completed in ${duration.toFixed(3)}s`,
    );
    return result;
  } catch (error) {
    const duration = secondsSince(started);
    logger.warn(
      { event: 'timed', op: name, duration_s: duration, ok: false, ...errorFields(error) },
      `${name} failed after ${duration.toFixed(3)}s`,
    );
    throw error;
  }
}

/**
 * A stopwatch for metrics, like seed 002's `track_time`:
 * `const stop = stopwatch(); await send(); metrics.produceSettled(type, true, [stop()]);`
 */
export function stopwatch(): () => number {
  const started = performance.now();
  return () => (performance.now() - started) / 1000;
}
