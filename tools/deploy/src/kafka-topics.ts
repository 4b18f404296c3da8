/**
 * Strimzi resources from the domain contract: one `KafkaTopic` per topic the services would
 * create themselves (same names, partitions and configs), and one `KafkaUser` per service
 * with the ACLs it needs. With them applied, the services run with
 * `KAFKA_CREATE_TOPICS=false` and only check that their topics exist.
 *
 *   npm run deploy:topics                  rewrites k8s/overlays/strimzi/kafka-{topics,users}.yaml
 *   npm run deploy:topics -- --check       exits 1 when those files are out of date
 *
 * The topics are computed by the code the services run: `topicPlan` and `dlqTopic` of
 * @platform/contracts, `topicDefaults` and `toTopicConfig` of @platform/messaging, and the
 * aggregator's internal topic names and transactional ids (apps/aggregator keys.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { load, type PlatformConfig } from '@platform/config';
import { dlqTopic, topicPlan, type TopicSpec } from '@platform/contracts';
import { topicDefaults, toTopicConfig, type TopicDefaults } from '@platform/messaging';
import { stringify } from 'yaml';
// The aggregator's own naming (internal topics, transactional ids), so the declared topics
// and ACLs cannot drift from what it uses; an app exports no package, hence the path.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { internalTopics, transactionalIdOf } from '../../../apps/aggregator/src/pipeline/keys';
import { REPO_ROOT } from './build-service';

/** The Strimzi `Kafka` resource the topics and users belong to (`strimzi.io/cluster`). */
export const KAFKA_CLUSTER = 'platform';
export const STRIMZI_DIR = 'k8s/overlays/strimzi';

/** Services that talk to Kafka, as they name themselves (dead-letter topics, client ids). */
export const SERVICES = {
  gateway: 'ingestion-gateway',
  sinkWriter: 'sink-writer',
  aggregator: 'aggregator',
  generator: 'generator',
} as const;

/** Names the services own, at their defaults (AGGREGATOR_APP_ID, SINK_WRITER_GROUP_ID…). */
export interface ServiceIds {
  readonly aggregatorAppId: string;
  /** AGGREGATOR_REPARTITION_PARTITIONS; 0: as many as the source topic. */
  readonly repartitionPartitions: number;
  readonly sinkWriterGroupId: string;
  readonly gatewaySubscriptionsGroupId: string;
}

export const DEFAULT_IDS: ServiceIds = {
  aggregatorAppId: 'aggregator',
  repartitionPartitions: 0,
  sinkWriterGroupId: 'sink-writer',
  gatewaySubscriptionsGroupId: 'ingestion-gateway-subscriptions',
};

export interface PlannedTopic {
  readonly name: string;
  readonly partitions: number;
  readonly replicas: number;
  readonly config: Readonly<Record<string, string>>;
  /** Who creates it when `kafka.create_topics` is on. */
  readonly createdBy: readonly string[];
}

/**
 * Every topic the services create for a config, as the CreateTopics request each would send
 * (`toTopicConfig` with the defaults it uses).
 */
export function plannedTopics(
  config: PlatformConfig,
  ids: ServiceIds = DEFAULT_IDS,
): PlannedTopic[] {
  const defaults = topicDefaults(config.kafka);
  // Dead letters of the sink-writer (and of any KafkaEventTransport service) go to one partition.
  const oneBucket: TopicDefaults = { ...defaults, partitions: 1 };
  const entries: { spec: TopicSpec; defaults: TopicDefaults; by: string }[] = [];
  const add = (spec: TopicSpec, d: TopicDefaults, by: string): void => {
    entries.push({ spec, defaults: d, by });
  };
  // Events, late events and aggregates: the gateway, generator, aggregator and sink-writer
  // each create those they use; topicPlan is the whole set.
  for (const spec of topicPlan(config.model, config.topics)) {
    add(spec, defaults, spec.purpose === 'events' ? 'ingestion-gateway' : 'aggregator');
  }
  add(
    { name: dlqTopic(config.topics, SERVICES.gateway), purpose: 'dlq', cleanupPolicy: 'delete' },
    defaults,
    SERVICES.gateway,
  );
  add(
    { name: dlqTopic(config.topics, SERVICES.aggregator), purpose: 'dlq', cleanupPolicy: 'delete' },
    defaults,
    SERVICES.aggregator,
  );
  add(
    { name: dlqTopic(config.topics, SERVICES.sinkWriter), purpose: 'dlq', cleanupPolicy: 'delete' },
    oneBucket,
    SERVICES.sinkWriter,
  );
  // The aggregator's repartition (delete) and changelog (compact) topics, one pair per
  // aggregation, with the partitions of its source topic unless set.
  for (const a of config.model.aggregations) {
    const partitions =
      ids.repartitionPartitions > 0 ? ids.repartitionPartitions : defaults.partitions;
    for (const spec of internalTopics(ids.aggregatorAppId, a.name, partitions)) {
      add(spec, defaults, SERVICES.aggregator);
    }
  }
  return entries.map(({ spec, defaults: d, by }) => {
    const request = toTopicConfig(spec, d);
    return {
      name: request.topic,
      partitions: request.numPartitions ?? d.partitions,
      replicas: request.replicationFactor ?? d.replicationFactor,
      config: Object.fromEntries((request.configEntries ?? []).map((e) => [e.name, e.value])),
      createdBy: [by],
    };
  });
}

/** A Kubernetes name for a topic (`events.page_view` → `events.page-view`); spec.topicName keeps the real one. */
export const resourceName = (topic: string): string =>
  topic
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');

export function kafkaTopics(topics: readonly PlannedTopic[], cluster = KAFKA_CLUSTER): object[] {
  return topics.map((t) => ({
    apiVersion: 'kafka.strimzi.io/v1beta2',
    kind: 'KafkaTopic',
    metadata: {
      name: resourceName(t.name),
      labels: { 'strimzi.io/cluster': cluster, 'app.kubernetes.io/part-of': 'streaming-platform' },
    },
    spec: { topicName: t.name, partitions: t.partitions, replicas: t.replicas, config: t.config },
  }));
}

type Operation =
  | 'Read'
  | 'Write'
  | 'Create'
  | 'Delete'
  | 'Describe'
  | 'DescribeConfigs'
  | 'IdempotentWrite';
interface Acl {
  readonly resource: {
    readonly type: 'topic' | 'group' | 'cluster' | 'transactionalId';
    readonly name?: string;
    readonly patternType?: 'literal' | 'prefix';
  };
  readonly operations: Operation[];
}

const topicAcl = (name: string, operations: Operation[]): Acl => ({
  resource: { type: 'topic', name, patternType: 'literal' },
  operations,
});
const groupAcl = (
  name: string,
  operations: Operation[],
  patternType: 'literal' | 'prefix' = 'literal',
): Acl => ({
  resource: { type: 'group', name, patternType },
  operations,
});
/** Idempotent producers (every service's) need IdempotentWrite on the cluster. */
const IDEMPOTENT: Acl = { resource: { type: 'cluster' }, operations: ['IdempotentWrite'] };
/** Startup checks that a topic exists and reads its partitions and configs. */
const ADMIN_READ: Operation[] = ['Describe', 'DescribeConfigs'];

/** The ACLs each service needs with the topics declared (no Create: KAFKA_CREATE_TOPICS=false). */
export function serviceAcls(
  config: PlatformConfig,
  ids: ServiceIds = DEFAULT_IDS,
): Record<string, Acl[]> {
  const { topics, model } = config;
  const plan = topicPlan(model, topics);
  const named = (purpose: TopicSpec['purpose']) =>
    plan.filter((t) => t.purpose === purpose).map((t) => t.name);
  const events = named('events');
  const late = named('late');
  const aggregates = named('aggregates');
  const app = ids.aggregatorAppId;
  const internal = model.aggregations.flatMap((a) =>
    internalTopics(app, a.name, 1).map((t) => t.name),
  );
  // `<appId>-<topic>-<partition>`: one transactional id per input partition.
  const sample = transactionalIdOf(app, 'topic', 0);
  const transactionalPrefix = sample.slice(0, sample.indexOf('topic'));
  return {
    [SERVICES.gateway]: [
      ...events.map((t) => topicAcl(t, ['Write', ...ADMIN_READ])),
      topicAcl(dlqTopic(topics, SERVICES.gateway), ['Write', 'Read', ...ADMIN_READ]),
      // Subscriptions: topics of their own, read by the gateway's delivery consumer.
      {
        resource: { type: 'topic', name: `${topics.subscriptions}.`, patternType: 'prefix' },
        operations: ['Read', 'Write', 'Create', ...ADMIN_READ],
      },
      groupAcl(ids.gatewaySubscriptionsGroupId, ['Read', 'Describe']),
      // The dashboard reads the pipeline's progress: topic offsets and committed group offsets.
      ...[...aggregates, ...internal].map((t) => topicAcl(t, ['Describe'])),
      groupAcl(app, ['Describe']),
      groupAcl(ids.sinkWriterGroupId, ['Describe']),
      IDEMPOTENT,
    ],
    [SERVICES.generator]: [...events.map((t) => topicAcl(t, ['Write', ...ADMIN_READ])), IDEMPOTENT],
    [SERVICES.aggregator]: [
      ...events.map((t) => topicAcl(t, ['Read', ...ADMIN_READ])),
      ...[...late, ...aggregates, dlqTopic(topics, SERVICES.aggregator)].map((t) =>
        topicAcl(t, ['Write', ...ADMIN_READ]),
      ),
      ...internal.map((t) => topicAcl(t, ['Read', 'Write', ...ADMIN_READ])),
      groupAcl(app, ['Read', 'Describe']),
      // Restores read the changelog under throwaway groups, deleted afterwards.
      groupAcl(`${app}.restore.`, ['Read', 'Describe', 'Delete'], 'prefix'),
      {
        resource: { type: 'transactionalId', name: transactionalPrefix, patternType: 'prefix' },
        operations: ['Write', 'Describe'],
      },
      IDEMPOTENT,
    ],
    [SERVICES.sinkWriter]: [
      ...[...events, ...aggregates].map((t) => topicAcl(t, ['Read', ...ADMIN_READ])),
      topicAcl(dlqTopic(topics, SERVICES.sinkWriter), ['Write', ...ADMIN_READ]),
      groupAcl(ids.sinkWriterGroupId, ['Read', 'Describe']),
      IDEMPOTENT,
    ],
  };
}

export function kafkaUsers(
  config: PlatformConfig,
  ids: ServiceIds = DEFAULT_IDS,
  cluster = KAFKA_CLUSTER,
): object[] {
  return Object.entries(serviceAcls(config, ids)).map(([service, acls]) => ({
    apiVersion: 'kafka.strimzi.io/v1beta2',
    kind: 'KafkaUser',
    metadata: {
      name: service,
      labels: { 'strimzi.io/cluster': cluster, 'app.kubernetes.io/part-of': 'streaming-platform' },
    },
    spec: {
      // The User Operator writes the password to the Secret <service> (key `password`).
      authentication: { type: 'scram-sha-512' },
      authorization: {
        type: 'simple',
        acls: acls.map((a) => ({ type: 'allow', ...a, host: '*' })),
      },
    },
  }));
}

/** The production config the manifests are for (no secret is read: the env backend, placeholders). */
export async function productionConfig(domain = 'ecommerce'): Promise<PlatformConfig> {
  return load({
    configDir: join(REPO_ROOT, 'config'),
    environment: 'prod',
    domain,
    env: { PLATFORM__secrets__backend: 'env', CLICKHOUSE_PASSWORD: '-', POSTGRES_PASSWORD: '-' },
  });
}

const HEADER = (what: string): string =>
  `# GENERATED by tools/deploy/src/kafka-topics.ts from config/ (prod, domain ecommerce): ${what}.\n` +
  '# Do not edit: run `npm run deploy:topics` (a test fails while this file is out of date).\n';

/** YAML as the repository's prettier writes it, so `prettier --check` and the up-to-date test agree. */
export async function renderYaml(
  path: string,
  what: string,
  docs: readonly object[],
): Promise<string> {
  const text = HEADER(what) + docs.map((d) => `---\n${stringify(d, { lineWidth: 0 })}`).join('');
  const file = join(REPO_ROOT, path);
  // Loaded here: prettier's ESM parts need a dynamic import, which Jest does not run.
  const prettier = await import('prettier');
  return prettier.format(text, { ...(await prettier.resolveConfig(file)), filepath: file });
}

/** The generated resources per file, as objects (what the committed YAML must hold). */
export async function strimziResources(): Promise<Record<string, object[]>> {
  const config = await productionConfig();
  return {
    [join(STRIMZI_DIR, 'kafka-topics.yaml')]: kafkaTopics(plannedTopics(config)),
    [join(STRIMZI_DIR, 'kafka-users.yaml')]: kafkaUsers(config),
  };
}

export async function renderStrimziFiles(): Promise<Record<string, string>> {
  const config = await productionConfig();
  const topics = join(STRIMZI_DIR, 'kafka-topics.yaml');
  const users = join(STRIMZI_DIR, 'kafka-users.yaml');
  return {
    [topics]: await renderYaml(
      topics,
      'one KafkaTopic per topic the services use',
      kafkaTopics(plannedTopics(config)),
    ),
    [users]: await renderYaml(
      users,
      'one KafkaUser per service, with its ACLs',
      kafkaUsers(config),
    ),
  };
}

if (require.main === module) {
  const check = process.argv.includes('--check');
  renderStrimziFiles().then(
    (files) => {
      let stale = 0;
      for (const [path, text] of Object.entries(files)) {
        const file = join(REPO_ROOT, path);
        let current = '';
        try {
          current = readFileSync(file, 'utf8');
        } catch {
          current = '';
        }
        if (current === text) continue;
        if (check) {
          stale += 1;
          console.error(`${path} is out of date: npm run deploy:topics`);
        } else {
          writeFileSync(file, text);
          console.log(`wrote ${path}`);
        }
      }
      process.exit(stale > 0 ? 1 : 0);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
