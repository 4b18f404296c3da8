// `gateway dlq list|show|replay`: reads the dead-letter topics (`<topics.dlq>.*`) back,
// groups them by reason, shows one with its source coordinates, and replays the selected ones
// to their source topic, writing each outcome to the audit log (`dlq_replays`).
import { load, type PlatformConfig } from '@platform/config';
import { EventContracts } from '@platform/contracts';
import {
  createIdempotentProducer,
  createKafka,
  EventProducer,
  formatCoordinates,
  groupByReason,
  parseCoordinates,
  readTopicsToEnd,
  silentSink,
  storedDeadLetter,
  TopicAdmin,
  type KafkaClient,
  type StoredDeadLetter,
} from '@platform/messaging';
import { AvroSerde, SchemaRegistryClient } from '@platform/schema-registry';
import type { DataSource } from 'typeorm';
import { loadGatewaySettings, type GatewaySettings } from '../config/gateway-settings';
import { openDatabase } from '../persistence/database';
import { isBadRow, planReplay, selectLetters, type ReplayStep } from './replay-plan';

export interface DlqOptions {
  readonly domain?: string;
  readonly env?: string;
  /** Dead-letter topics to read (default: every `<topics.dlq>.*` topic). */
  readonly topic?: readonly string[];
}

interface Context {
  readonly config: PlatformConfig;
  readonly settings: GatewaySettings;
  readonly kafka: KafkaClient;
}

async function context(options: DlqOptions): Promise<Context> {
  const config = await load({
    ...(options.domain === undefined ? {} : { domain: options.domain }),
    ...(options.env === undefined ? {} : { environment: options.env }),
  });
  const kafka = createKafka(config.kafka, {
    clientId: 'ingestion-gateway-dlq',
    logger: silentSink,
    logLevel: 'nothing',
  });
  return { config, settings: loadGatewaySettings(process.env), kafka };
}

/** Every letter of the dead-letter topics, in the order read. */
async function readLetters(ctx: Context, options: DlqOptions): Promise<StoredDeadLetter[]> {
  const prefix = `${ctx.config.topics.dlq}.`;
  let topics = options.topic ?? [];
  if (topics.length === 0) {
    const admin = new TopicAdmin(ctx.kafka);
    await admin.connect();
    try {
      topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix)).sort();
    } finally {
      await admin.disconnect();
    }
  }
  if (topics.length === 0) return [];
  return (await readTopicsToEnd(ctx.kafka, topics, { timeoutMs: 60_000 })).map(storedDeadLetter);
}

export interface ListedGroup {
  readonly service: string;
  readonly code: string;
  readonly reason: string;
  readonly count: number;
  readonly first_failed_at: string;
  readonly last_failed_at: string;
  readonly records: readonly string[];
}

export async function listDeadLetters(options: DlqOptions): Promise<ListedGroup[]> {
  const ctx = await context(options);
  const letters = await readLetters(ctx, options);
  return groupByReason(letters).map((g) => ({
    service: g.service,
    code: g.code,
    reason: g.message,
    count: g.count,
    first_failed_at: g.firstFailedAt,
    last_failed_at: g.lastFailedAt,
    records: g.letters.map(formatCoordinates),
  }));
}

/** One dead letter, its value readable: JSON as JSON, Avro decoded, anything else base64. */
export async function showDeadLetter(
  coordinates: string,
  options: DlqOptions,
): Promise<Record<string, unknown>> {
  const at = parseCoordinates(coordinates);
  if (at === undefined) throw new UsageError(`${coordinates}: expected topic:partition:offset`);
  const ctx = await context({ ...options, topic: [at.topic] });
  const letters = await readLetters(ctx, { ...options, topic: [at.topic] });
  const letter = letters.find((l) => formatCoordinates(l.at) === formatCoordinates(at));
  if (letter === undefined) throw new Error(`no dead letter at ${coordinates}`);
  const serde = new AvroSerde(new SchemaRegistryClient({ url: ctx.config.schema_registry.url }));
  return {
    dead_letter: formatCoordinates(letter.at),
    source: formatCoordinates(letter.source),
    service: letter.service,
    error: letter.error,
    failed_at: letter.failedAt,
    key: letter.key?.toString('utf8') ?? null,
    headers: letter.headers,
    value: await readable(letter, serde),
  };
}

async function readable(letter: StoredDeadLetter, serde: AvroSerde): Promise<unknown> {
  const value = letter.value;
  if (value === null) return null;
  try {
    return JSON.parse(value.toString('utf8'));
  } catch {
    // not JSON
  }
  try {
    return { avro: await serde.decode(value) };
  } catch {
    return { base64: value.toString('base64') };
  }
}

export interface ReplayOptions extends DlqOptions {
  readonly record?: readonly string[];
  readonly service?: string;
  readonly code?: string;
  readonly reason?: string;
  readonly all?: boolean;
  readonly dryRun?: boolean;
}

export interface ReplayOutcome {
  readonly dead_letter: string;
  readonly replay_id: string;
  readonly outcome: 'replayed' | 'already_replayed' | 'failed' | 'would_replay';
  readonly target_topic?: string;
  readonly reason?: string;
}

/**
 * Replays the selected dead letters. Each is planned against the current contract
 * (`planReplay`); one whose replay id (its `event_id`) the audit log holds as replayed is
 * skipped; the others are produced (acks=all) and then written to the audit log, as are the
 * ones that still fail. Sinks deduplicate by `event_id`, so a crash between the produce and
 * the audit row costs at most a harmless second copy in Kafka.
 */
export async function replayDeadLetters(options: ReplayOptions): Promise<ReplayOutcome[]> {
  const selection = {
    ...(options.record === undefined || options.record.length === 0
      ? {}
      : { records: options.record }),
    ...(options.service === undefined ? {} : { service: options.service }),
    ...(options.code === undefined ? {} : { code: options.code }),
    ...(options.reason === undefined ? {} : { reason: options.reason }),
  };
  if (Object.keys(selection).length === 0 && options.all !== true)
    throw new UsageError('choose what to replay: --record, --service, --code, --reason or --all');
  for (const r of options.record ?? [])
    if (parseCoordinates(r) === undefined)
      throw new UsageError(`--record ${r}: expected topic:partition:offset`);
  const ctx = await context(options);
  const letters = selectLetters(await readLetters(ctx, options), selection);
  if (letters.length === 0) return [];
  const registry = new SchemaRegistryClient({ url: ctx.config.schema_registry.url });
  const serde = new AvroSerde(registry);
  const contracts = new EventContracts(ctx.config.model, {
    maxStringLength: ctx.settings.maxStringLength,
    eventTime: {
      minMs: ctx.settings.minEventTimeMs,
      maxFutureSkewMs: ctx.settings.maxEventTimeSkewMs,
    },
  });
  const ids = new Map<StoredDeadLetter, string>();
  for (const letter of letters) {
    if (isBadRow(letter) || letter.value === null) continue;
    const id = await eventIdIn(letter.value, serde);
    if (id !== undefined) ids.set(letter, id);
  }
  const steps = letters.map((l) => planReplay(l, contracts, (x) => ids.get(x)));
  if (options.dryRun === true) return steps.map((s) => preview(s));

  const db = await openDatabase(ctx.config.postgres, ctx.settings.dbSchema, 'gateway-dlq');
  try {
    return await replaySteps(steps, ctx, registry, db);
  } finally {
    await db.destroy();
  }
}

function preview(step: ReplayStep): ReplayOutcome {
  const base = { dead_letter: formatCoordinates(step.letter.at), replay_id: step.replayId };
  if (step.kind === 'fails') return { ...base, outcome: 'failed', reason: step.reason };
  return { ...base, outcome: 'would_replay', target_topic: targetOf(step, undefined) };
}

function targetOf(step: ReplayStep, config: PlatformConfig | undefined): string {
  if (step.kind === 'record') return step.topic;
  if (step.kind === 'event')
    return config === undefined ? step.eventType : `${config.topics.events}.${step.eventType}`;
  return '';
}

async function replaySteps(
  steps: readonly ReplayStep[],
  ctx: Context,
  registry: SchemaRegistryClient,
  db: DataSource,
): Promise<ReplayOutcome[]> {
  const table = `"${ctx.settings.dbSchema}".dlq_replays`;
  const done = new Set<string>(
    (
      (await db.query(
        `SELECT replay_id FROM ${table} WHERE outcome = 'replayed' AND replay_id = ANY($1)`,
        [steps.map((s) => s.replayId)],
      )) as { replay_id: string }[]
    ).map((r) => r.replay_id),
  );
  const audit = async (o: ReplayOutcome): Promise<void> => {
    await db.query(
      `INSERT INTO ${table} (replay_id, dead_letter, outcome, target_topic, reason)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [o.replay_id, o.dead_letter, o.outcome, o.target_topic ?? null, o.reason ?? null],
    );
  };
  const events = steps.some((s) => s.kind === 'event')
    ? new EventProducer({
        kafka: ctx.kafka,
        model: ctx.config.model,
        prefixes: ctx.config.topics,
        registry,
        clientId: 'ingestion-gateway-dlq',
      })
    : undefined;
  const records = steps.some((s) => s.kind === 'record')
    ? createIdempotentProducer(ctx.kafka)
    : undefined;
  await events?.start();
  await records?.connect();
  const outcomes: ReplayOutcome[] = [];
  try {
    for (const step of steps) {
      const base = { dead_letter: formatCoordinates(step.letter.at), replay_id: step.replayId };
      if (done.has(step.replayId)) {
        outcomes.push({ ...base, outcome: 'already_replayed' });
        continue;
      }
      if (step.kind === 'fails') {
        const o: ReplayOutcome = { ...base, outcome: 'failed', reason: step.reason };
        await audit(o);
        outcomes.push(o);
        continue;
      }
      const target = targetOf(step, ctx.config);
      try {
        if (step.kind === 'event') await events?.send(step.eventType, step.event);
        else
          await records?.send({
            topic: step.topic,
            acks: -1,
            messages: [{ key: step.key, value: step.value, headers: { ...step.headers } }],
          });
      } catch (e) {
        const o: ReplayOutcome = {
          ...base,
          outcome: 'failed',
          target_topic: target,
          reason: e instanceof Error ? e.message : String(e),
        };
        await audit(o);
        outcomes.push(o);
        continue;
      }
      const o: ReplayOutcome = { ...base, outcome: 'replayed', target_topic: target };
      await audit(o);
      done.add(step.replayId);
      outcomes.push(o);
    }
  } finally {
    await events?.close();
    await records?.disconnect();
  }
  return outcomes;
}

/** The `event_id` of an Avro-framed event value, when it is one. */
async function eventIdIn(value: Buffer, serde: AvroSerde): Promise<string | undefined> {
  try {
    const decoded = (await serde.decode(value)) as Record<string, unknown> | null;
    const id = decoded?.['event_id'];
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Bad usage: the CLI exits 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}
