import { load } from '@platform/config';
import { createKafka, silentSink, TopicAdmin, type KafkaAdmin } from '@platform/messaging';
import { clickhouse, dropClickHouseDatabase, dropPgSchema, withPg } from '@platform/testing';

/** What a namespace holds on the local stack: every name found with its prefix. */
export interface RunFootprint {
  readonly topics: readonly string[];
  readonly groups: readonly string[];
  readonly databases: readonly string[];
  readonly schemas: readonly string[];
}

async function withAdmin<T>(fn: (admin: KafkaAdmin, topics: TopicAdmin) => Promise<T>): Promise<T> {
  const config = await load({ environment: 'test' });
  const kafka = createKafka(config.kafka, { clientId: 'platform-test', logger: silentSink });
  const admin = kafka.admin();
  const topics = new TopicAdmin(kafka);
  await admin.connect();
  await topics.connect();
  try {
    return await fn(admin, topics);
  } finally {
    await topics.disconnect();
    await admin.disconnect();
  }
}

/** Topics and groups named `<ns>.…`, databases and schemas named `<ns>_…`. */
export async function footprint(namespace: string): Promise<RunFootprint> {
  const { topics, groups } = await withAdmin(async (admin, topicAdmin) => ({
    topics: (await topicAdmin.listTopics()).filter((t) => t.startsWith(`${namespace}.`)).sort(),
    groups: (await admin.listGroups()).groups
      .map((g) => g.groupId)
      .filter((g) => g.startsWith(`${namespace}.`))
      .sort(),
  }));
  const databases = (await clickhouse(`SELECT name FROM system.databases FORMAT TSV`))
    .split('\n')
    .filter((d) => d.startsWith(`${namespace}_`))
    .sort();
  const schemas = await withPg(async (pg) =>
    (
      await pg.query<{ name: string }>(
        `SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE $1 ORDER BY 1`,
        [`${namespace}\\_%`],
      )
    ).rows.map((r) => r.name),
  );
  return { topics, groups, databases, schemas };
}

/** Deletes everything a namespace holds on the local stack. */
export async function dropRun(namespace: string): Promise<void> {
  const found = await footprint(namespace);
  await withAdmin(async (admin, topics) => {
    await topics.deleteTopicsWithPrefix(`${namespace}.`);
    if (found.groups.length > 0) await admin.deleteGroups([...found.groups]).catch(() => undefined);
  });
  for (const database of found.databases) await dropClickHouseDatabase(database);
  for (const schema of found.schemas) await dropPgSchema(schema);
}
