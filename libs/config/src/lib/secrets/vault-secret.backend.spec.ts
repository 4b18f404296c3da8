import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../config.error';
import { explain, formatExplanation } from '../explain';
import { loadWithProvenance } from '../loader';
import { makeConfigTree, PLATFORM_YAML, type ConfigTree } from '../testing/config-tree';
import { VaultSecretBackend } from './vault-secret.backend';

const TOKEN = 's.test-token';
const SECRET = 'vault-only-password-42';

/** The KV v2 read endpoint, nothing else: `GET /v1/<mount>/data/<path>` with X-Vault-Token. */
class FakeVault {
  readonly requests: string[] = [];
  delayMs = 0;
  private server?: Server;

  constructor(private readonly secrets: Record<string, Record<string, unknown>>) {}

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      setTimeout(() => this.handle(request, response), this.delayMs);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    this.requests.push(`${request.method} ${request.url}`);
    const reply = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (request.headers['x-vault-token'] !== TOKEN)
      return reply(403, { errors: ['permission denied'] });
    const match = /^\/v1\/([^/]+)\/data\/(.+)$/.exec(request.url ?? '');
    const data = match ? this.secrets[`${match[1]}/${match[2]}`] : undefined;
    if (request.method !== 'GET' || !data) return reply(404, { errors: [] });
    return reply(200, { data: { data, metadata: { version: 1 } } });
  }
}

describe(VaultSecretBackend.name, () => {
  let vault: FakeVault;
  let url: string;
  let tree: ConfigTree;

  beforeEach(async () => {
    vault = new FakeVault({
      'secret/streaming-platform': { CLICKHOUSE_PASSWORD: SECRET, PG_PASSWORD: 'pg' },
    });
    url = await vault.start();
    tree = makeConfigTree({
      'platform.yaml': PLATFORM_YAML.replace(
        "clickhouse:\n  url: http://127.0.0.1:8123\n  password: ''",
        'clickhouse:\n  url: http://127.0.0.1:8123\n  password: ${secret:CLICKHOUSE_PASSWORD}',
      ).replace(
        "  host: 127.0.0.1\n  password: ''",
        '  host: 127.0.0.1\n  password: ${secret:PG_PASSWORD}',
      ),
      'environments/dev.yaml': `secrets:\n  backend: vault\n  vault:\n    url: ${url}\n    mount: secret\n    path: streaming-platform\n    timeout_ms: 500\n`,
    });
  });

  afterEach(async () => {
    tree.remove();
    await vault.stop();
  });

  const failure = async (promise: Promise<unknown>): Promise<ConfigError> => {
    try {
      await promise;
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('expected the load to fail');
  };

  it('resolves secrets from a KV v2 read with VAULT_TOKEN, in a single request per load', async () => {
    const loaded = await loadWithProvenance({
      configDir: tree.configDir,
      env: { VAULT_TOKEN: TOKEN },
    });
    expect(loaded.config.clickhouse.password).toBe(SECRET);
    expect(loaded.config.postgres.password).toBe('pg');
    expect(vault.requests).toEqual(['GET /v1/secret/data/streaming-platform']);
    expect(formatExplanation(explain(loaded))).not.toContain(SECRET);
  });

  it('uses secrets.vault.token when VAULT_TOKEN is not set, and masks it in explain', async () => {
    tree.write(
      'environments/dev.yaml',
      `secrets:\n  backend: vault\n  vault:\n    url: ${url}\n    mount: secret\n    path: streaming-platform\n    token: ${TOKEN}\n`,
    );
    const loaded = await loadWithProvenance({ configDir: tree.configDir, env: {} });
    expect(loaded.config.clickhouse.password).toBe(SECRET);
    const text = formatExplanation(explain(loaded));
    expect(text).not.toContain(TOKEN);
    expect(text).toMatch(/^secrets\.vault\.token +\*{6} +environments\/dev\.yaml$/m);
  });

  it('fails with a clear error, and no token in it, when Vault refuses the token', async () => {
    const error = await failure(
      loadWithProvenance({ configDir: tree.configDir, env: { VAULT_TOKEN: 'wrong-token' } }),
    );
    expect(error.code).toBe('CONFIG_SECRET_BACKEND');
    expect(error.retriable).toBe(false);
    expect(error.message).toBe(
      `Secret backend vault: reading ${url}/v1/secret/data/streaming-platform failed: HTTP 403: permission denied (check the token in VAULT_TOKEN or secrets.vault.token)`,
    );
  });

  it('fails before any request when there is no token at all', async () => {
    const error = await failure(loadWithProvenance({ configDir: tree.configDir, env: {} }));
    expect(error.message).toBe(
      `Secret backend vault: reading ${url}/v1/secret/data/streaming-platform failed: no token: set VAULT_TOKEN or secrets.vault.token`,
    );
    expect(vault.requests).toEqual([]);
  });

  it('names the key, the referencing path and the vault secret when a key is absent', async () => {
    tree.write(
      'environments/test.yaml',
      `environment: test\nschema_registry:\n  url: http://\${secret:REGISTRY_HOST}:8081\nsecrets:\n  backend: vault\n  vault: { url: '${url}', mount: secret, path: streaming-platform }\n`,
    );
    const error = await failure(
      loadWithProvenance({
        configDir: tree.configDir,
        environment: 'test',
        env: { VAULT_TOKEN: TOKEN },
      }),
    );
    expect(error.code).toBe('CONFIG_SECRET_MISSING');
    expect(error.message).toBe(
      `Missing secrets in backend vault ${url}/v1/secret/data/streaming-platform:\n  - REGISTRY_HOST, referenced by schema_registry.url (environments/test.yaml)`,
    );
  });

  it('gives up after timeout_ms and marks the error retriable', async () => {
    vault.delayMs = 1000;
    const error = await failure(
      loadWithProvenance({ configDir: tree.configDir, env: { VAULT_TOKEN: TOKEN } }),
    );
    expect(error.retriable).toBe(true);
    expect(error.message).toBe(
      `Secret backend vault: reading ${url}/v1/secret/data/streaming-platform failed: no answer within 500 ms`,
    );
  });

  it('reports healthy with the right token and unhealthy, with the reason, with a wrong one', async () => {
    const options = { url, mount: 'secret', path: 'streaming-platform', timeoutMs: 1000 };
    const good = await new VaultSecretBackend({ ...options, token: TOKEN }).healthCheck();
    expect(good.ok).toBe(true);
    expect(good.latencyMs).toBeGreaterThanOrEqual(0);
    const bad = await new VaultSecretBackend({ ...options, token: 'wrong-token' }).healthCheck();
    expect(bad).toEqual({
      ok: false,
      latencyMs: expect.any(Number),
      error: `Secret backend vault: reading ${url}/v1/secret/data/streaming-platform failed: HTTP 403: permission denied (check the token in VAULT_TOKEN or secrets.vault.token)`,
    });
  });

  it('reports unhealthy when nothing listens at the address', async () => {
    await vault.stop();
    const health = await new VaultSecretBackend({
      url,
      mount: 'secret',
      path: 'streaming-platform',
      token: TOKEN,
      timeoutMs: 1000,
    }).healthCheck();
    expect(health.ok).toBe(false);
    expect(health.error).toBe(
      `Secret backend vault: reading ${url}/v1/secret/data/streaming-platform failed: unreachable (ECONNREFUSED)`,
    );
    vault = new FakeVault({});
    await vault.start();
  });
});
