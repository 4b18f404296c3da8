import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, type PlatformConfig } from '@platform/config';
import { aggregateTable, eventTable } from '@platform/contracts';
import { createKafka, silentSink } from '@platform/messaging';
import {
  clickhouse,
  dropClickHouseDatabase,
  dropPgSchema,
  generatorDryRun,
  REPO_ROOT,
  runTs,
  startService,
  uniqueName,
  withPg,
  type ServiceProcess,
} from '@platform/testing';
import { diffRows, expectedForModel, formatDifferences, type TypedOracleEvent } from '../oracle';
import { clickHouseRows, kafkaOf, orEmpty, postgresRows } from './aggregate-sinks';

/**
 * Two runs of the platform at once, each given only a namespace and a domain (ecommerce by
 * name, telemetry from a file outside config/): generator → aggregator run-once →
 * sink-writer run-once. They share nothing (each one's names carry its namespace, its groups
 * read only its topics, its registry holds only its subjects), and each run's tables equal
 * its own oracle.
 */
describe('two namespaces, two domains, at once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'e2e-ns-'));
  const domainFile = join(dir, 'sensors.yaml');
  copyFileSync(join(REPO_ROOT, 'config/domains/telemetry.yaml'), domainFile);
  const COUNT = 2_000;
  const runs = [
    { namespace: uniqueName('it_ns_a'), domain: ['--domain', 'ecommerce'], seed: 11 },
    { namespace: uniqueName('it_ns_b'), domain: ['--domain-file', domainFile], seed: 12 },
  ];
  const registries: ServiceProcess[] = [];
  afterAll(async () => {
    for (const registry of registries) await registry.stop();
    const after = await footprint();
    const admin = kafkaOf(await load({ environment: 'test' })).admin();
    await admin.connect();
    try {
      for (const { namespace } of runs) {
        const topics = after.topics.filter((t) => t.startsWith(`${namespace}.`));
        if (topics.length > 0) await admin.deleteTopics({ topics });
        const groups = after.groups.filter((g) => g.startsWith(`${namespace}.`));
        if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
        for (const d of after.databases.filter((x) => x.startsWith(`${namespace}_`)))
          await dropClickHouseDatabase(d);
        for (const s of after.schemas.filter((x) => x.startsWith(`${namespace}_`)))
          await dropPgSchema(s);
      }
    } finally {
      await admin.disconnect();
    }
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('share no topic, group, database or schema; each run equals its oracle; run-once counts equal the tables', async () => {
    const results = await Promise.all(
      runs.map(async (run) => {
        const env: NodeJS.ProcessEnv = { ENVIRONMENT: 'test', NAMESPACE: run.namespace };
        if (run.domain[0] === '--domain') env['DOMAIN'] = run.domain[1];
        else env['DOMAIN_FILE'] = run.domain[1];
        const registry = await startService({ entry: 'apps/schema-registry/src/main.ts', env });
        registries.push(registry);
        env['PLATFORM__schema_registry__url'] = registry.url;
        const options = ['--count', String(COUNT), '--seed', String(run.seed), '--rate', 'max'];
        const sent = await runTs(
          'apps/generator/src/cli.ts',
          ['run', ...options, '--no-progress', '--target', 'kafka'],
          env,
        );
        expect({ code: sent.code, stderr: sent.code === 0 ? '' : sent.stderr }).toEqual({
          code: 0,
          stderr: '',
        });
        const aggregated = await runTs('apps/aggregator/src/cli.ts', ['run-once'], env);
        expect({
          code: aggregated.code,
          out: aggregated.code === 0 ? '' : aggregated.stderr,
        }).toEqual({
          code: 0,
          out: '',
        });
        const written = await runTs('apps/sink-writer/src/main.ts', ['run-once'], env);
        expect({ code: written.code, out: written.code === 0 ? '' : written.stdout }).toEqual({
          code: 0,
          out: '',
        });
        const summaryLine = written.stdout.split('\n').find((l) => l.startsWith('Summary: '));
        const summary = JSON.parse((summaryLine ?? 'Summary: null').slice('Summary: '.length)) as {
          records: number;
          deadLettered: number;
          rows: Record<string, Record<string, number>>;
        };
        const config = await load({ env: { ...process.env, ...env } });
        const events = (await generatorDryRun([
          ...options,
          ...run.domain,
          '--env',
          'test',
        ])) as TypedOracleEvent[];
        // The aggregator's results: records on the aggregate topics, which the writer read too.
        const emitted = Number(
          /([\d,]+) row\(s\) emitted/.exec(aggregated.stderr)?.[1]?.replace(/,/g, '') ?? NaN,
        );
        return { run, config, summary, events, emitted };
      }),
    );

    // Each run holds its own names, and touches nothing of the other's: its groups committed
    // offsets on its own topics only, its registry holds subjects of its own topics only.
    // (Other suites may share the stack meanwhile, so only the runs' own names are judged.)
    const after = await footprint();
    const admin = kafkaOf(results[0]?.config as PlatformConfig).admin();
    await admin.connect();
    try {
      for (const { run, config } of results) {
        const ns = run.namespace;
        const mine = (name: string): boolean => name.startsWith(`${ns}.`);
        const topics = after.topics.filter(mine);
        const domainTopics = [
          ...config.model.eventTypes.map((e) => `${config.topics.events}.${e.name}`),
          ...config.model.aggregations.map((a) => `${config.topics.aggregates}.${a.name}`),
        ];
        expect(topics).toEqual(expect.arrayContaining(domainTopics));
        // The aggregator's internal topics hang on its app id, inside the namespace.
        expect(topics.some((t) => t.startsWith(`${ns}.aggregator.`))).toBe(true);
        const groups = after.groups.filter(mine).sort();
        expect(groups).toEqual(expect.arrayContaining([`${ns}.aggregator`, `${ns}.sink-writer`]));
        for (const group of groups) {
          const committed = (await admin.fetchOffsets({ groupId: group })).map((t) => t.topic);
          expect({ group, foreign: committed.filter((t) => !mine(t)) }).toEqual({
            group,
            foreign: [],
          });
        }
        expect(after.databases.filter((d) => d.startsWith(`${ns}_`))).toEqual([`${ns}_platform`]);
        expect(after.schemas.filter((x) => x.startsWith(`${ns}_`)).sort()).toEqual([
          `${ns}_platform`,
          `${ns}_schema_registry`,
        ]);
        const subjects = await withPg(async (pg) =>
          (
            await pg.query<{ subject: string }>(
              `SELECT DISTINCT subject FROM "${ns}_schema_registry".subject_versions`,
            )
          ).rows.map((r) => r.subject),
        );
        expect(subjects.length).toBeGreaterThan(0);
        expect(subjects.filter((subject) => !mine(subject))).toEqual([]);
      }
    } finally {
      await admin.disconnect();
    }

    for (const { config, summary, events, emitted } of results) {
      // The run's tables equal its own oracle, in both sinks.
      const oracle = expectedForModel(config.model, events);
      const problems: string[] = [];
      for (const spec of config.model.aggregations) {
        const want = oracle.get(spec.name)?.rows ?? [];
        const ch = diffRows(want, await orEmpty(clickHouseRows(config.clickhouse.database, spec)), {
          tolerance: 1e-9,
        });
        const pg = diffRows(want, await orEmpty(postgresRows(config.postgres.schema, spec)), {
          tolerance: 1e-9,
        });
        if (ch.length > 0) problems.push(`ClickHouse ${spec.name}\n${formatDifferences(ch, 5)}`);
        if (pg.length > 0) problems.push(`PostgreSQL ${spec.name}\n${formatDifferences(pg, 5)}`);
      }
      expect(problems.join('\n')).toBe('');

      // run-once: its counts equal the tables'.
      expect(summary.deadLettered).toBe(0);
      const tables = await tableCounts(config);
      expect(summary.rows).toEqual({ clickhouse: tables.clickhouse, postgres: tables.postgres });
      expect(summary.records).toBe(COUNT + emitted);
    }
  }, 240_000);
});

interface Footprint {
  readonly topics: readonly string[];
  readonly groups: readonly string[];
  readonly databases: readonly string[];
  readonly schemas: readonly string[];
}

/** Every topic, group, ClickHouse database and PostgreSQL schema on the local stack. */
async function footprint(): Promise<Footprint> {
  const config = await load({ environment: 'test' });
  const admin = createKafka(config.kafka, { logger: silentSink }).admin();
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
    const databases = (await clickhouse('SELECT name FROM system.databases FORMAT TSV'))
      .split('\n')
      .filter((d) => d !== '');
    const schemas = await withPg(async (pg) =>
      (
        await pg.query<{ name: string }>(
          'SELECT schema_name AS name FROM information_schema.schemata',
        )
      ).rows.map((r) => r.name),
    );
    return { topics, groups, databases, schemas };
  } finally {
    await admin.disconnect();
  }
}

/** Rows of every table the run-once wrote, per sink. */
async function tableCounts(
  config: PlatformConfig,
): Promise<{ clickhouse: Record<string, number>; postgres: Record<string, number> }> {
  const tables = [
    ...config.model.eventTypes.map((e) => eventTable(e)),
    ...config.model.aggregations.map((a) => aggregateTable(a)),
  ];
  const ch: Record<string, number> = {};
  const pg: Record<string, number> = {};
  for (const table of tables) {
    const n = Number(
      (
        await clickhouse(`SELECT count() FROM \`${config.clickhouse.database}\`.\`${table}\` FINAL`)
      ).trim(),
    );
    if (n > 0) ch[table] = n;
    const m = await withPg(async (client) =>
      Number(
        (
          await client.query<{ n: string }>(
            `SELECT count(*) AS n FROM "${config.postgres.schema}"."${table}"`,
          )
        ).rows[0]?.n ?? 0,
      ),
    );
    if (m > 0) pg[table] = m;
  }
  return { clickhouse: ch, postgres: pg };
}
