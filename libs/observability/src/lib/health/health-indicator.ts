/** Default bound on one readiness check, so `/readyz` answers before the probe gives up. */
export const DEFAULT_INDICATOR_TIMEOUT_MS = 2_000;

/**
 * The readiness port: a named dependency check. `check` resolves when the dependency is
 * usable (optionally with details to report) and rejects with the reason otherwise.
 */
export interface HealthIndicatorPort {
  readonly name: string;
  /** Overrides the module-wide timeout for this check. */
  readonly timeoutMs?: number;
  check(): Promise<void | Readonly<Record<string, unknown>>>;
}

export interface IndicatorStatus {
  readonly status: 'up' | 'down';
  readonly latency_ms: number;
  readonly error?: string;
  readonly [detail: string]: unknown;
}

export interface ReadinessReport {
  readonly status: 'ok' | 'error';
  readonly checks: Readonly<Record<string, IndicatorStatus>>;
}

export class HealthTimeoutError extends Error {
  readonly code = 'HEALTH_TIMEOUT';
  readonly retriable = true;
  constructor(name: string, timeoutMs: number) {
    super(`${name}: no answer within ${timeoutMs} ms`);
    this.name = 'HealthTimeoutError';
  }
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    // AggregateError (e.g. ECONNREFUSED on both ::1 and 127.0.0.1) has an empty message.
    if (error.message !== '') return error.message;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (error instanceof AggregateError && error.errors.length > 0)
      return messageOf(error.errors[0]);
    return error.name;
  }
  return String(error);
}

/** Runs one check, bounded by its timeout; never throws. */
export async function runIndicator(
  indicator: HealthIndicatorPort,
  defaultTimeoutMs: number = DEFAULT_INDICATOR_TIMEOUT_MS,
): Promise<IndicatorStatus> {
  const timeoutMs = indicator.timeoutMs ?? defaultTimeoutMs;
  const started = performance.now();
  const latency = (): number => Math.round((performance.now() - started) * 10) / 10;
  let timer: NodeJS.Timeout | undefined;
  try {
    const details = await Promise.race([
      indicator.check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new HealthTimeoutError(indicator.name, timeoutMs)),
          timeoutMs,
        );
      }),
    ]);
    return { ...(details ?? {}), status: 'up', latency_ms: latency() };
  } catch (error) {
    return { status: 'down', latency_ms: latency(), error: messageOf(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every check in parallel; `error` if any is down. Framework-free. */
export async function runReadiness(
  indicators: readonly HealthIndicatorPort[],
  defaultTimeoutMs: number = DEFAULT_INDICATOR_TIMEOUT_MS,
): Promise<ReadinessReport> {
  const results = await Promise.all(
    indicators.map(
      async (indicator) =>
        [indicator.name, await runIndicator(indicator, defaultTimeoutMs)] as const,
    ),
  );
  return {
    status: results.every(([, result]) => result.status === 'up') ? 'ok' : 'error',
    checks: Object.fromEntries(results),
  };
}

export interface IndicatorOptions {
  readonly name?: string;
  readonly timeoutMs?: number;
}

/** Anything with `query(sql)`: a pg `Pool` or `Client`, a TypeORM `DataSource`. */
export interface SqlQueryable {
  query(sql: string): Promise<unknown>;
}

/** PostgreSQL: `SELECT 1` through a pool, client, DataSource or a plain query function. */
export function postgresIndicator(
  target: SqlQueryable | ((sql: string) => Promise<unknown>),
  options: IndicatorOptions = {},
): HealthIndicatorPort {
  const query = typeof target === 'function' ? target : (sql: string) => target.query(sql);
  return {
    name: options.name ?? 'postgres',
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    check: async () => {
      await query('SELECT 1');
    },
  };
}

/** What `@clickhouse/client`'s `ping()` resolves to. */
export interface PingResult {
  readonly success: boolean;
  readonly error?: unknown;
}

/**
 * ClickHouse: a ping function (`() => client.ping()`) or the client itself. A ping that
 * resolves `{ success: false, error }` (the client's way of saying "down") counts as down.
 */
export function clickhouseIndicator(
  target: (() => Promise<unknown>) | { ping(): Promise<unknown> },
  options: IndicatorOptions = {},
): HealthIndicatorPort {
  const ping = typeof target === 'function' ? target : () => target.ping();
  return {
    name: options.name ?? 'clickhouse',
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    check: async () => {
      const result = await ping();
      if (
        typeof result === 'object' &&
        result !== null &&
        (result as PingResult).success === false
      ) {
        const error = (result as PingResult).error;
        throw error instanceof Error ? error : new Error(String(error ?? 'ClickHouse ping failed'));
      }
    },
  };
}

/** Any check as a function: `indicator('schema-registry', async () => { … })`. */
export function indicator(
  name: string,
  check: () => Promise<unknown>,
  options: Omit<IndicatorOptions, 'name'> = {},
): HealthIndicatorPort {
  return {
    name,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    check: async () => {
      await check();
    },
  };
}
