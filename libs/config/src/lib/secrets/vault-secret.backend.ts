import { ConfigError } from '../config.error';
import { timedCheck, type SecretBackend, type SecretBackendHealth } from './secret-backend';

export interface VaultSecretBackendOptions {
  /** `http://vault:8200` */
  readonly url: string;
  /** KV v2 mount, e.g. `secret`. */
  readonly mount: string;
  /** Secret path under the mount, e.g. `streaming-platform`. */
  readonly path: string;
  readonly token?: string;
  readonly timeoutMs: number;
}

/**
 * HashiCorp Vault, KV version 2: one `GET {url}/v1/{mount}/data/{path}` per load, whose
 * `data.data` maps secret keys to values. The token is sent as `X-Vault-Token` and never
 * appears in a message.
 */
export class VaultSecretBackend implements SecretBackend {
  readonly name = 'vault' as const;
  readonly description: string;
  private readonly endpoint: string;
  private secret?: Promise<ReadonlyMap<string, string>>;

  constructor(private readonly options: VaultSecretBackendOptions) {
    const base = options.url.replace(/\/+$/, '');
    const mount = trimSlashes(options.mount);
    const path = trimSlashes(options.path);
    this.endpoint = `${base}/v1/${mount}/data/${path}`;
    this.description = `vault ${this.endpoint}`;
  }

  async get(keys: readonly string[]): Promise<ReadonlyMap<string, string>> {
    this.secret ??= this.read();
    const all = await this.secret;
    const found = new Map<string, string>();
    for (const key of keys) {
      const value = all.get(key);
      if (value !== undefined) found.set(key, value);
    }
    return found;
  }

  /** A real read of the configured secret: proves the server is up and the token may read it. */
  healthCheck(): Promise<SecretBackendHealth> {
    return timedCheck(async () => {
      await this.read();
    });
  }

  private async read(): Promise<ReadonlyMap<string, string>> {
    const token = this.options.token;
    if (token === undefined || token === '') {
      throw this.failure('no token: set VAULT_TOKEN or secrets.vault.token', false);
    }
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        headers: { 'X-Vault-Token': token, Accept: 'application/json' },
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw this.failure(describeFetchError(error, this.options.timeoutMs), true);
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const reasons = vaultErrors(body);
      const detail = reasons ? `: ${reasons}` : '';
      const hint =
        response.status === 401 || response.status === 403
          ? ' (check the token in VAULT_TOKEN or secrets.vault.token)'
          : '';
      throw this.failure(
        `HTTP ${response.status}${detail}${hint}`,
        response.status >= 500 || response.status === 429,
      );
    }
    const data = isRecord(body) && isRecord(body['data']) ? body['data']['data'] : undefined;
    if (!isRecord(data))
      throw this.failure('the response has no data.data map (is this KV v2?)', false);
    const values = new Map<string, string>();
    for (const [key, value] of Object.entries(data)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        values.set(key, String(value));
      }
    }
    return values;
  }

  private failure(reason: string, retriable: boolean): ConfigError {
    return new ConfigError(
      'CONFIG_SECRET_BACKEND',
      `Secret backend vault: reading ${this.endpoint} failed: ${reason}`,
      [],
      retriable,
    );
  }
}

function trimSlashes(value: string): string {
  return value.replace(/^\/+|\/+$/g, '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function vaultErrors(body: unknown): string {
  if (!isRecord(body) || !Array.isArray(body['errors'])) return '';
  return body['errors'].filter((item) => typeof item === 'string').join('; ');
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  // Duck-typed: fetch's errors may come from another realm (test runners), so no instanceof.
  const name = field(error, 'name');
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause: unknown = isRecord(error) ? error['cause'] : undefined;
  const reason =
    field(cause, 'code') ?? field(cause, 'message') ?? field(error, 'message') ?? String(error);
  return `unreachable (${reason})`;
}

function field(value: unknown, key: string): string | undefined {
  if (value === null || typeof value !== 'object' || !(key in value)) return undefined;
  const found: unknown = (value as Record<string, unknown>)[key];
  return typeof found === 'string' ? found : undefined;
}
