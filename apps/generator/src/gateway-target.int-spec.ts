import { load } from '@platform/config';
import { createKafka, silentSink, TopicAdmin } from '@platform/messaging';
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
    const config = await load({ environment: 'test', env: { ...process.env, ...env } });
    const admin = new TopicAdmin(
      createKafka(config.kafka, { logLevel: 'nothing', logger: silentSink }),
    );
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
    if (topics.length > 0) await admin.deleteTopics(topics);
    await admin.disconnect();
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
    const config = await load({ environment: 'test', env: { ...process.env, ...env } });
    const admin = new TopicAdmin(
      createKafka(config.kafka, { logLevel: 'nothing', logger: silentSink }),
    );
    await admin.connect();
    try {
      for (const [type, count] of Object.entries(summary.countsByType)) {
        const offsets = await admin.topicOffsets(`${prefix}.events.${type}`);
        const records = offsets.reduce((sum, p) => sum + Number(p.high - p.low), 0);
        expect({ type, records }).toEqual({ type, records: count });
      }
    } finally {
      await admin.disconnect();
    }
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
