import {
  dropPgSchema,
  runTs,
  startSchemaRegistry,
  startService,
  uniqueName,
  type RegistryProcess,
  type ServiceProcess,
} from '@platform/testing';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteTopicsWithPrefix, recordCounts } from './testing/kafka-topics';

const CLI = 'apps/generator/src/cli.ts';

// The gateway is another app: it runs as a child process, and its own CLI makes the key.
describe('generator run --target gateway', () => {
  const prefix = uniqueName('it_gen_gw');
  const summaryFile = join(tmpdir(), `${prefix}.summary.json`);
  let registry: RegistryProcess;
  let gateway: ServiceProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    registry = await startSchemaRegistry();
    env = {
      ENVIRONMENT: 'test',
      PLATFORM__schema_registry__url: registry.url,
      PLATFORM__topics__events: `${prefix}.events`,
      PLATFORM__topics__dlq: `${prefix}.dlq`,
      GATEWAY_DB_SCHEMA: prefix,
      GATEWAY_SUBSCRIPTIONS_ENABLED: 'false',
      OTEL_SDK_DISABLED: 'true',
    };
    gateway = await startService({
      entry: 'apps/ingestion-gateway/src/main.ts',
      env,
      healthPath: '/readyz',
    });
  });

  afterAll(async () => {
    await gateway?.stop();
    await registry?.stop();
    await rm(summaryFile, { force: true });
    await dropPgSchema(prefix);
    await deleteTopicsWithPrefix(env, `${prefix}.`);
  });

  it('posts batches with a write key; every acknowledged event is in its topic', async () => {
    const created = await runTs(
      'apps/ingestion-gateway/src/cli.ts',
      ['keys', 'create', '--source', 'generator', '--json'],
      env,
    );
    expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: '' });
    const { key } = JSON.parse(created.stdout) as { key: string };

    const result = await runTs(
      CLI,
      [
        'run',
        '--count',
        '1500',
        '--seed',
        '11',
        '--rate',
        'max',
        '--target',
        'gateway',
        '--batch-size',
        '200',
        '--no-progress',
        '--summary-json',
        summaryFile,
      ],
      { ...env, GATEWAY_URL: gateway.url, GATEWAY_WRITE_KEY: key },
    );
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 0,
      stderr: expect.stringContaining('Done: 1,500 sent, 0 errors'),
    });

    const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as {
      sent: number;
      countsByType: Record<string, number>;
    };
    expect(summary.sent).toBe(1500);
    const topicOf = (type: string): string => `${prefix}.events.${type}`;
    const types = Object.keys(summary.countsByType);
    expect(await recordCounts(env, types.map(topicOf))).toEqual(
      Object.fromEntries(types.map((type) => [topicOf(type), summary.countsByType[type]])),
    );
  });

  it('fails the run with exit code 1 when the gateway refuses the key', async () => {
    const result = await runTs(
      CLI,
      ['run', '--count', '5', '--rate', 'max', '--target', 'gateway', '--no-progress'],
      { ...env, GATEWAY_URL: gateway.url, GATEWAY_WRITE_KEY: 'gwk_unknown' },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('HTTP 401 UNAUTHORIZED: unknown write key');
  });
});
