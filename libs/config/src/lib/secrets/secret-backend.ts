export type SecretBackendName = 'env' | 'file' | 'vault';

export interface SecretBackendHealth {
  readonly ok: boolean;
  readonly latencyMs: number;
  /** Why the check failed; never contains a secret value or token. */
  readonly error?: string;
}

/** A place `${secret:KEY}` references are looked up. One instance serves one load. */
export interface SecretBackend {
  readonly name: SecretBackendName;
  /** Names the backend in messages: `env`, `file /run/secrets`, `vault http://…/v1/secret/data/app`. */
  readonly description: string;
  /** The values of those `keys` the backend has; absent keys are simply not in the map. */
  get(keys: readonly string[]): Promise<ReadonlyMap<string, string>>;
  healthCheck(): Promise<SecretBackendHealth>;
}

/** Time a check and turn a throw into `{ ok: false, error }`. */
export async function timedCheck(check: () => Promise<void>): Promise<SecretBackendHealth> {
  const started = performance.now();
  try {
    await check();
    return { ok: true, latencyMs: elapsed(started) };
  } catch (error) {
    const message =
      typeof error === 'object' &&
      error !== null &&
      'message' in error &&
      typeof error.message === 'string'
        ? error.message
        : String(error);
    return { ok: false, latencyMs: elapsed(started), error: message };
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
