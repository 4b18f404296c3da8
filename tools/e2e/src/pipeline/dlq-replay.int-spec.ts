import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka, silentSink, TopicAdmin } from '@platform/messaging';
import { load } from '@platform/config';
import {
  clickhouse,
  dropClickHouseDatabase,
  dropPgSchema,
  eventually,
  REPO_ROOT,
  runTs,
  startSchemaRegistry,
  startService,
  uniqueName,
  withPg,
  type RegistryProcess,
  type ServiceProcess,
} from '@platform/testing';

/**
 * Dead-letter replay on the real stack: the gateway refuses a page_view whose device_type the
 * contract does not know and dead-letters it; the contract is relaxed; `gateway dlq replay`
 * sends it to its event topic, a second replay finds it done; the sink writer then holds it
 * exactly once in ClickHouse and PostgreSQL, and the audit log says what was replayed.
 */
describe('dead letter → contract relaxed → replay → sinks, exactly once', () => {
  const name = uniqueName('e2e_dlq');
  const strictDir = mkdtempSync(join(tmpdir(), 'dlq-strict-'));
  const relaxedDir = mkdtempSync(join(tmpdir(), 'dlq-relaxed-'));
  const env = {
    ENVIRONMENT: 'test',
    LOG_LEVEL: 'warn',
    PLATFORM__topics__events: `${name}_events`,
    PLATFORM__topics__dlq: `${name}_dlq`,
    PLATFORM__topics__aggregates: `${name}_aggregates`,
    PLATFORM__topics__late: `${name}_late`,
    PLATFORM__topics__subscriptions: `${name}_subscriptions`,
    PLATFORM__clickhouse__database: name,
    PLATFORM__postgres__schema: name,
    GATEWAY_DB_SCHEMA: `${name}_gw`,
    GATEWAY_SUBSCRIPTIONS_ENABLED: 'false',
  };
  let registry: RegistryProcess;
  let gateway: ServiceProcess | undefined;
  let writer: ServiceProcess | undefined;

  beforeAll(async () => {
    cpSync(join(REPO_ROOT, 'config'), strictDir, { recursive: true });
    cpSync(join(REPO_ROOT, 'config'), relaxedDir, { recursive: true });
    const domain = join(relaxedDir, 'domains', 'ecommerce.yaml');
    const relaxed = readFileSync(domain, 'utf8').replace(
      '{ name: device_type, type: string, values: [desktop, mobile, tablet] }\n      - { name: country',
      '{ name: device_type, type: string, values: [desktop, mobile, tablet, phone] }\n      - { name: country',
    );
    expect(relaxed).toContain('tablet, phone]');
    writeFileSync(domain, relaxed);
    registry = await startSchemaRegistry();
  }, 120_000);

  afterAll(async () => {
    await writer?.stop();
    await gateway?.stop();
    await registry?.stop();
    await dropClickHouseDatabase(name);
    await dropPgSchema(name);
    await dropPgSchema(`${name}_gw`);
    const config = await load({ environment: 'test', env: { ...process.env, ...env } });
    const admin = new TopicAdmin(createKafka(config.kafka, { logger: silentSink }));
    await admin.connect();
    await admin.deleteTopicsWithPrefix(name);
    await admin.disconnect();
    rmSync(strictDir, { recursive: true, force: true });
    rmSync(relaxedDir, { recursive: true, force: true });
  }, 60_000);

  const withRegistry = (configDir: string) => ({
    ...env,
    CONFIG_DIR: configDir,
    PLATFORM__schema_registry__url: registry.url,
  });
  const gatewayCli = (args: readonly string[], configDir = relaxedDir) =>
    runTs('apps/ingestion-gateway/src/cli.ts', args, withRegistry(configDir), 120_000);

  it('dead-letters a refused event, replays it once the contract accepts it, and the sinks hold it once', async () => {
    gateway = await startService({
      entry: 'apps/ingestion-gateway/src/main.ts',
      env: withRegistry(strictDir),
      healthPath: '/readyz',
    });
    const created = await gatewayCli(
      ['keys', 'create', '--source', 'dlq-test', '--json'],
      strictDir,
    );
    expect(created.code).toBe(0);
    const key = (JSON.parse(created.stdout) as { key: string }).key;
    const event = { user_id: 'u_dlq', page_url: '/poison', device_type: 'phone', country: 'US' };
    const refused = await fetch(`${gateway.url}/v1/events/page_view`, {
      method: 'POST',
      headers: { 'x-write-key': key, 'content-type': 'application/json' },
      body: JSON.stringify(event),
    });
    expect(refused.status).toBe(400);
    await gateway.stop();
    gateway = undefined;

    // list: grouped by reason, with the record's coordinates
    const listed = await gatewayCli(['dlq', 'list', '--json']);
    expect(listed.code).toBe(0);
    const groups = JSON.parse(listed.stdout) as {
      service: string;
      code: string;
      reason: string;
      count: number;
      records: string[];
    }[];
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({
      service: 'ingestion-gateway',
      code: 'SCHEMA_VIOLATION',
      count: 1,
    });
    expect(groups[0]?.reason).toMatch(/^device_type: /);
    const record = groups[0]?.records[0] as string;
    expect(record).toMatch(new RegExp(`^${name}_dlq\\.ingestion-gateway:\\d+:0$`));

    // show: the source and the payload as sent
    const shown = await gatewayCli(['dlq', 'show', record]);
    expect(shown.code).toBe(0);
    const letter = JSON.parse(shown.stdout) as Record<string, any>;
    expect(letter['source']).toBe('http:-1:-1');
    expect(letter['value'].data.payload).toEqual(event);

    // under the strict contract the replay still fails, and says why (exit 1)
    const stillFails = await gatewayCli(['dlq', 'replay', '--reason', 'device_type'], strictDir);
    expect(stillFails.code).toBe(1);
    expect(stillFails.stdout).toMatch(/^failed {2}.*device_type: /m);

    // relaxed: replayed once; the second replay finds it done
    const first = await gatewayCli(['dlq', 'replay', '--reason', 'device_type', '--json']);
    expect(first.code).toBe(0);
    const [replayed] = JSON.parse(first.stdout) as { outcome: string; replay_id: string }[];
    expect(replayed).toMatchObject({
      outcome: 'replayed',
      target_topic: `${name}_events.page_view`,
    });
    const second = await gatewayCli(['dlq', 'replay', '--record', record, '--json']);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual([
      { dead_letter: record, replay_id: replayed?.replay_id, outcome: 'already_replayed' },
    ]);

    writer = await startService({
      entry: 'apps/sink-writer/src/main.ts',
      env: {
        ...withRegistry(relaxedDir),
        SINK_WRITER_STREAMS: 'events',
        SINK_WRITER_GROUP_ID: `${name}_writer`,
      },
    });
    const id = replayed?.replay_id as string;
    const inClickHouse = () =>
      clickhouse(
        `SELECT count() FROM \`${name}\`.events_page_view FINAL WHERE event_id = '${id}' FORMAT TSV`,
      ).then((t) => Number(t.trim()));
    const inPostgres = () =>
      withPg(async (pg) =>
        Number(
          (
            await pg.query(
              `SELECT count(*) AS n FROM "${name}".events_page_view WHERE event_id = $1`,
              [id],
            )
          ).rows[0].n,
        ),
      );
    const stored = await eventually(
      async () =>
        (await inClickHouse().catch(() => 0)) === 1 && (await inPostgres().catch(() => 0)) === 1,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    if (!stored) throw new Error(`replayed event not stored\n--- writer ---\n${writer.output()}`);
    const row = await withPg(
      async (pg) =>
        (await pg.query(`SELECT device_type, page_url FROM "${name}".events_page_view`)).rows,
    );
    expect(row).toEqual([{ device_type: 'phone', page_url: '/poison' }]);
    // ClickHouse without FINAL: one stored copy, not two collapsed later
    expect(
      Number(
        (await clickhouse(`SELECT count() FROM \`${name}\`.events_page_view FORMAT TSV`)).trim(),
      ),
    ).toBe(1);

    const audit = await withPg(
      async (pg) =>
        (
          await pg.query(
            `SELECT outcome, dead_letter, target_topic FROM "${name}_gw".dlq_replays ORDER BY id`,
          )
        ).rows,
    );
    expect(audit).toEqual([
      { outcome: 'failed', dead_letter: record, target_topic: null },
      { outcome: 'replayed', dead_letter: record, target_topic: `${name}_events.page_view` },
    ]);
  }, 240_000);
});
