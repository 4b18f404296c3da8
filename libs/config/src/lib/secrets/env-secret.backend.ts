import type { Env } from '../env-overrides';
import { timedCheck, type SecretBackend, type SecretBackendHealth } from './secret-backend';

/** Secrets from environment variables: `${secret:POSTGRES_PASSWORD}` reads `POSTGRES_PASSWORD`. */
export class EnvSecretBackend implements SecretBackend {
  readonly name = 'env' as const;
  readonly description = 'env';

  constructor(private readonly env: Env) {}

  async get(keys: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const found = new Map<string, string>();
    for (const key of keys) {
      const value = this.env[key];
      if (value !== undefined) found.set(key, value);
    }
    return found;
  }

  healthCheck(): Promise<SecretBackendHealth> {
    return timedCheck(async () => undefined);
  }
}
