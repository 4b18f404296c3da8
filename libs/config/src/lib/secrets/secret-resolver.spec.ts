import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config.error';
import { explain, formatExplanation } from '../explain';
import { loadWithProvenance } from '../loader';
import { redact } from '../redact';
import { makeConfigTree, PLATFORM_YAML, type ConfigTree } from '../testing/config-tree';
import { createSecretBackend } from './secret-backend.factory';

const SECRET = 'hunter2-correct-horse';

/** platform.yaml with both passwords taken from secrets and the given backend section. */
function platformWithSecrets(secretsSection: string): string {
  return PLATFORM_YAML.replace(
    "clickhouse:\n  url: http://127.0.0.1:8123\n  password: ''",
    'clickhouse:\n  url: http://127.0.0.1:8123\n  password: ${secret:CLICKHOUSE_PASSWORD}',
  )
    .replace(
      "  host: 127.0.0.1\n  password: ''",
      '  host: 127.0.0.1\n  password: pre-${secret:PG_PASSWORD}-post',
    )
    .replace('secrets:\n  backend: env', secretsSection);
}

async function failure(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected the load to fail');
}

describe('secret resolution', () => {
  let tree: ConfigTree;
  afterEach(() => tree.remove());

  it('resolves ${secret:KEY} from environment variables with the env backend, inside longer strings too', async () => {
    tree = makeConfigTree({ 'platform.yaml': platformWithSecrets('secrets:\n  backend: env') });
    const loaded = await loadWithProvenance({
      configDir: tree.configDir,
      env: { CLICKHOUSE_PASSWORD: SECRET, PG_PASSWORD: 'pg' },
    });
    expect(loaded.config.clickhouse.password).toBe(SECRET);
    expect(loaded.config.postgres.password).toBe('pre-pg-post');
    expect([...loaded.secretPaths].sort()).toEqual(['clickhouse.password', 'postgres.password']);
  });

  it('reads one file per key, trimmed, when secrets.file.path is a directory', async () => {
    tree = makeConfigTree({
      'platform.yaml': platformWithSecrets(
        'secrets:\n  backend: file\n  file:\n    path: ../secrets',
      ),
    });
    mkdirSync(join(tree.root, 'secrets'));
    writeFileSync(join(tree.root, 'secrets', 'CLICKHOUSE_PASSWORD'), `${SECRET}\n`);
    writeFileSync(join(tree.root, 'secrets', 'PG_PASSWORD'), '  pg  \n');
    const loaded = await loadWithProvenance({ configDir: tree.configDir, env: {} });
    expect(loaded.config.clickhouse.password).toBe(SECRET);
    expect(loaded.config.postgres.password).toBe('pre-pg-post');
  });

  it.each([
    ['secrets.yaml', `CLICKHOUSE_PASSWORD: ${SECRET}\nPG_PASSWORD: 1234\n`],
    ['secrets.json', JSON.stringify({ CLICKHOUSE_PASSWORD: SECRET, PG_PASSWORD: 1234 })],
  ])('reads a single mapping file %s when secrets.file.path is a file', async (file, content) => {
    tree = makeConfigTree({
      'platform.yaml': platformWithSecrets(`secrets:\n  backend: file\n  file:\n    path: ${file}`),
      [file]: content,
    });
    const config = (await loadWithProvenance({ configDir: tree.configDir, env: {} })).config;
    expect(config.clickhouse.password).toBe(SECRET);
    expect(config.postgres.password).toBe('pre-1234-post');
  });

  it('names every missing key, the path that referenced it, its file and the backend', async () => {
    tree = makeConfigTree({ 'platform.yaml': platformWithSecrets('secrets:\n  backend: env') });
    const error = await failure(loadWithProvenance({ configDir: tree.configDir, env: {} }));
    expect(error.code).toBe('CONFIG_SECRET_MISSING');
    expect(error.message).toBe(
      [
        'Missing secrets in backend env:',
        '  - CLICKHOUSE_PASSWORD, referenced by clickhouse.password (platform.yaml)',
        '  - PG_PASSWORD, referenced by postgres.password (platform.yaml)',
      ].join('\n'),
    );
  });

  it('names the file backend and its path when a key has no file', async () => {
    tree = makeConfigTree({
      'platform.yaml': platformWithSecrets(
        'secrets:\n  backend: file\n  file:\n    path: /nonexistent-secrets-dir',
      ),
    });
    const error = await failure(loadWithProvenance({ configDir: tree.configDir, env: {} }));
    expect(error.code).toBe('CONFIG_SECRET_BACKEND');
    expect(error.message).toBe('Secret backend file: /nonexistent-secrets-dir does not exist');
  });

  it('keeps a secret value out of a validation error about the key it was resolved into', async () => {
    tree = makeConfigTree({
      'environments/dev.yaml':
        'kafka:\n  sasl:\n    mechanism: ${secret:SASL_MECHANISM}\n    username: u\n    password: ${secret:SASL_MECHANISM}\n',
    });
    const error = await failure(
      loadWithProvenance({ configDir: tree.configDir, env: { SASL_MECHANISM: SECRET } }),
    );
    expect(error.message).toBe(
      'Invalid configuration:\n  - kafka.sasl.mechanism (environments/dev.yaml): expected one of "plain", "scram-sha-256", "scram-sha-512"',
    );
    expect(JSON.stringify(error.issues)).not.toContain(SECRET);
    expect(error.message).not.toContain(SECRET);
  });

  it('masks secrets in explain output, redact() and JSON, but names where they were referenced', async () => {
    tree = makeConfigTree({ 'platform.yaml': platformWithSecrets('secrets:\n  backend: env') });
    const loaded = await loadWithProvenance({
      configDir: tree.configDir,
      env: { CLICKHOUSE_PASSWORD: SECRET, PG_PASSWORD: SECRET },
    });
    const text = formatExplanation(explain(loaded));
    expect(text).not.toContain(SECRET);
    expect(text).toMatch(/^clickhouse\.password +\*{6} +platform\.yaml$/m);
    expect(JSON.stringify(explain(loaded))).not.toContain(SECRET);
    const redacted = redact(loaded.config, loaded.secretPaths);
    expect(redacted.clickhouse.password).toBe('******');
    expect(redacted.postgres.password).toBe('******');
    expect(redacted.clickhouse.url).toBe('http://127.0.0.1:8123');
    expect(loaded.config.clickhouse.password).toBe(SECRET);
  });

  it('reports the env backend healthy and the file backend unhealthy when its path is missing', async () => {
    tree = makeConfigTree();
    const env = createSecretBackend({ backend: 'env' }, { env: {}, configDir: tree.configDir });
    await expect(env.healthCheck()).resolves.toMatchObject({ ok: true });
    const file = createSecretBackend(
      { backend: 'file', file: { path: 'missing' } },
      { env: {}, configDir: tree.configDir },
    );
    const health = await file.healthCheck();
    expect(health).toMatchObject({
      ok: false,
      error: `Secret backend file: ${join(tree.configDir, 'missing')} does not exist`,
    });
    expect(health.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('reports malformed JSON in a secrets file without quoting its content', async () => {
    tree = makeConfigTree({
      'platform.yaml': platformWithSecrets(
        'secrets:\n  backend: file\n  file:\n    path: secrets.json',
      ),
      'secrets.json': `{"CLICKHOUSE_PASSWORD": ${SECRET}}`,
    });
    const error = await failure(loadWithProvenance({ configDir: tree.configDir, env: {} }));
    expect(error.message).toBe(
      `Secret backend file: ${join(tree.configDir, 'secrets.json')} is not valid JSON`,
    );
  });
});
