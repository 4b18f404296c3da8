/**
 * The aggregator's design steps, each measured alone against the design without it, on the
 * same seeded input (ADR 0011). CPU time per input event, in this process:
 *
 * - decode: the awaited full decode per record (before) / a synchronous full decode / the
 *   projected decode of the fields the aggregations read (now);
 * - combiner: the source and stateful steps with partials (now) / with every event
 *   forwarded whole (before), and the records each sends across the repartition topics (a
 *   whole event also crosses Kafka: its produce, fetch and second decode are not in this
 *   CPU figure, so the in-process gain understates the real one);
 * - panes: a sliding window's combiner with one gcd(size, slide) pane per event (now) /
 *   one window copy per window holding the event (size / slide tumbling combiners, shifted);
 * - one hop (not built): what the shuffle between the steps costs per input event once the
 *   combiner runs: serializing, packing and parsing the partials (the Kafka side of those
 *   few records is in `aggregator.bench.ts`'s repartition row);
 * - transactions, against the broker of the local stack: 100 back-to-back transactions of one
 *   record each with the transactional retry (10 ms first backoff, now) / kafkajs' default
 *   (300 ms), milliseconds per transaction.
 *
 *   npx tsx apps/aggregator/bench/steps.bench.ts [--count 300000] [--domain ecommerce]
 */
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { load } from '@platform/config';
import { eventTopic, type AggregationSpec } from '@platform/contracts';
import {
  createKafka,
  createTransactionalProducer,
  DEFAULT_RETRY,
  Outbox,
  silentSink,
  TopicAdmin,
  topicDefaults,
  withTransaction,
  type KafkaProducer,
  type StreamRecord,
} from '@platform/messaging';
import { AvroSerde, forSchema, modelSerde, type AvroRecordSchema } from '@platform/schema-registry';
import { SyntheticGenerator } from '@platform/synthetic';
import {
  Combiner,
  parsePartial,
  serializePartial,
  type PartialAggregate,
  type WindowEvent,
} from '@platform/windowing';
import { HEADERS } from '../src/pipeline/keys';
import { fieldsRead, type Plan } from '../src/pipeline/plan';
import { Router } from '../src/pipeline/router';
import {
  newSourceCounters,
  newSourceState,
  processSource,
  restoreSource,
  sealSource,
  type SourceEnv,
} from '../src/pipeline/source-task';
import {
  newStatefulState,
  processStateful,
  type EmittedRow,
  type StatefulEnv,
  type StatefulState,
} from '../src/pipeline/stateful-task';

/** A measure with the design before its step beside it (`before`); lower is better. */
interface Row {
  readonly measure: string;
  readonly now: number;
  readonly before?: number;
  readonly unit: string;
  readonly note?: string;
}

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '300000' },
    domain: { type: 'string', default: 'ecommerce' },
  },
});
const COUNT = Number(values.count);
const BATCH = 5_000;
const UNUSED_SCHEMA: AvroRecordSchema = {
  type: 'record',
  namespace: 'bench',
  name: 'unused',
  fields: [],
};
process.env['DOMAIN'] = values.domain;

/** CPU time (user + system) of `work`, in microseconds. */
function cpuOf(work: () => void): number {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

async function cpuOfAsync(work: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

async function main(): Promise<void> {
  const config = await load({ environment: 'test' });
  const { model } = config;
  // Input: the generator's events, Avro-framed as the platform writes them.
  const { serde, encodeEvent } = modelSerde(model);
  const byTopic = new Map<string, StreamRecord[]>();
  let offset = 0;
  for (const { eventType, event } of new SyntheticGenerator(model, { seed: 7 }).stream({
    count: COUNT,
  })) {
    const topic = eventTopic(config.topics, eventType);
    let list = byTopic.get(topic);
    if (list === undefined) byTopic.set(topic, (list = []));
    const value = encodeEvent(eventType, event);
    list.push({ offset: String(offset++), timestamp: String(Date.now()), key: null, value });
  }
  const all = [...byTopic.values()].flat();
  await serde.loadWriterSchemas(all.map((r) => r.value));
  const perEvent = (us: number): number => us / COUNT;
  const rows: Row[] = [];

  // ---- decode ---------------------------------------------------------------------------
  const specs = model.aggregations;
  const project = serde.projection(fieldsRead(specs));
  // Each variant runs once to warm up (JIT), then once measured.
  const decodeAwaited = async (): Promise<void> => {
    for (const r of all) await serde.decode(r.value as Buffer);
  };
  const decodeFull = (): void => {
    for (const r of all) serde.decodeSync(r.value as Buffer);
  };
  const decodeProjected = (): void => {
    for (const r of all) project(r.value as Buffer);
  };
  await decodeAwaited();
  decodeFull();
  decodeProjected();
  const awaited = await cpuOfAsync(decodeAwaited);
  const full = cpuOf(decodeFull);
  const projected = cpuOf(decodeProjected);
  rows.push(
    row('decode: projected, sync (now) / awaited, full (before)', projected, awaited, perEvent),
    row('decode: projected, sync / sync, full', projected, full, perEvent),
  );

  // ---- combiner ---------------------------------------------------------------------------
  const plans = specs.map((spec) => planOf(spec, config.topics, serde));
  runSteps(plans, byTopic, serde, 'combine'); // warm-up
  runSteps(plans, byTopic, serde, 'whole');
  const combined = runSteps(plans, byTopic, serde, 'combine');
  const whole = runSteps(plans, byTopic, serde, 'whole');
  if (combined.emitted !== whole.emitted) {
    throw new Error(`the two paths emitted ${combined.emitted} and ${whole.emitted} rows`);
  }
  rows.push(
    row(
      'combiner: source + stateful steps (now) / every event whole (before)',
      combined.cpuUs,
      whole.cpuUs,
      perEvent,
    ),
    {
      measure: 'combiner: records crossing the repartition topics',
      now: combined.records,
      before: whole.records,
      unit: 'records',
      note: `for ${COUNT} input events; before: each one also crossed Kafka (not in the CPU row)`,
    },
  );

  // ---- panes ------------------------------------------------------------------------------
  const sliding = specs.find((s) => s.window.type === 'sliding');
  if (sliding !== undefined) {
    const events = decodeAll(
      byTopic.get(eventTopic(config.topics, sliding.eventType)) ?? [],
      serde,
    );
    foldPanes(sliding, events); // warm-up
    foldWindowCopies(sliding, events);
    const panes = cpuOf(() => foldPanes(sliding, events));
    const copies = cpuOf(() => foldWindowCopies(sliding, events));
    rows.push({
      ...row(
        `panes: ${sliding.name}, one pane per event (now) / a copy per window (before)`,
        panes,
        copies,
        (us) => us / events.length,
      ),
      note: `${events.length} ${sliding.eventType} events; ${JSON.stringify(sliding.window)}`,
    });
  }

  // ---- one hop (not built) -----------------------------------------------------------------
  const shuffle = cpuOf(() => {
    for (const { spec, partials } of combined.partials) {
      for (const p of partials)
        parsePartial(
          JSON.parse(JSON.stringify(serializePartial(p))),
          [spec.type],
          spec.groupBy.length,
        );
    }
  });
  rows.push({
    measure: 'one hop: the shuffle of partials between the steps (what it would save)',
    now: perEvent(shuffle) * 1000,
    unit: 'ns/event',
    note: `${combined.partials.reduce((n, p) => n + p.partials.length, 0)} partials: serialize, pack, parse`,
  });

  // ---- transactions -------------------------------------------------------------------------
  const tuned = await transactionMs(config, 'tuned');
  const defaults = await transactionMs(config, 'default');
  rows.push({
    measure: 'transactions: 100 back to back, retry from 10 ms (now) / 300 ms (before)',
    now: tuned,
    before: defaults,
    unit: 'ms each',
    note: 'one record each; before: kafkajs default retry',
  });

  console.log(`aggregator steps, ${values.domain}, ${COUNT} events (lower is better)`);
  for (const r of rows) {
    const fmt = (n: number): string => `${Math.round(n).toLocaleString('en-US')} ${r.unit}`;
    const versus =
      r.before === undefined
        ? ''
        : ` | before ${fmt(r.before)} | ${(r.now / r.before).toFixed(2)}×`;
    console.log(
      `${r.measure}: now ${fmt(r.now)}${versus}${r.note === undefined ? '' : `  (${r.note})`}`,
    );
  }
}

function row(measure: string, ours: number, before: number, per: (us: number) => number): Row {
  return {
    measure,
    now: per(ours) * 1000,
    before: per(before) * 1000,
    unit: 'ns/event',
  };
}

function planOf(
  spec: AggregationSpec,
  topics: Parameters<typeof eventTopic>[0],
  serde: AvroSerde,
): Plan {
  return {
    spec,
    sourceTopic: eventTopic(topics, spec.eventType),
    sourcePartitions: 1,
    repartitionTopic: `${spec.name}.repartition`,
    partitions: 1,
    changelogTopic: `${spec.name}.changelog`,
    outputTopic: `${spec.name}.out`,
    lateTopic: `${spec.name}.late`,
    // Rows are counted, not encoded.
    schema: UNUSED_SCHEMA,
    schemaType: forSchema(UNUSED_SCHEMA),
    schemaId: 1,
    decode: serde.projection(fieldsRead([spec])),
  };
}

/** The source and stateful steps over the input, in batches; outputs counted, not encoded. */
function runSteps(
  plans: readonly Plan[],
  byTopic: ReadonlyMap<string, StreamRecord[]>,
  serde: AvroSerde,
  mode: 'combine' | 'whole',
): {
  cpuUs: number;
  records: number;
  emitted: number;
  partials: { spec: AggregationSpec; partials: PartialAggregate[] }[];
} {
  const router = new Router('dlq');
  const counters = newSourceCounters();
  const sourceEnv: SourceEnv = { router, idleTimeoutMs: null, counters };
  const statefulEnv: StatefulEnv = {
    router,
    serde: { encode: () => Buffer.alloc(0) },
    idleTimeoutMs: null,
    inputComplete: () => false,
  };
  const stateful = new Map<Plan, StatefulState>(
    plans.map((p) => [p, newStatefulState(p.repartitionTopic, 0, p, 0)]),
  );
  let cpuUs = 0;
  let emitted = 0;
  const partials: { spec: AggregationSpec; partials: PartialAggregate[] }[] = [];
  for (const [topic, records] of byTopic) {
    const mine = plans.filter((p) => p.sourceTopic === topic);
    if (mine.length === 0) continue;
    const source = newSourceState(
      topic,
      0,
      mine,
      serde.projection(fieldsRead(mine.map((p) => p.spec))),
    );
    // No forwarded maximum known: every event goes whole, as before the combiner.
    restoreSource(
      source,
      mode === 'combine' ? { offset: 0n, metadata: null } : { offset: 1n, metadata: null },
      sourceEnv,
      0,
    );
    for (let i = 0; i < records.length; i += BATCH) {
      const outbox = new Outbox<unknown>();
      const batch = records.slice(i, i + BATCH);
      cpuUs += cpuOf(() => {
        processSource(source, batch, outbox, sourceEnv, 0);
        sealSource(source, outbox, BigInt(i + batch.length), counters);
      });
      for (const plan of mine) {
        const forwarded: StreamRecord[] = outbox.of(plan.repartitionTopic).map((r, n) => ({
          offset: String(n),
          timestamp: '0',
          key: r.key === null ? null : Buffer.from(r.key),
          value: r.value === null ? null : Buffer.from(r.value),
          ...(r.headers === undefined ? {} : { headers: r.headers }),
        }));
        if (mode === 'combine') {
          const pack = forwarded.filter((r) => String(r.headers?.[HEADERS.kind]) === 'partial');
          partials.push({
            spec: plan.spec,
            partials: pack.flatMap((r) =>
              (JSON.parse(String(r.value)) as unknown[]).map((p) =>
                parsePartial(p, [plan.spec.type], plan.spec.groupBy.length),
              ),
            ),
          });
        }
        const out = new Outbox<EmittedRow>();
        const state = stateful.get(plan) as StatefulState;
        cpuUs += cpuOf(() => processStateful(state, forwarded, out, statefulEnv, 0));
        emitted += out.notes.length;
      }
    }
  }
  return { cpuUs, records: counters.packs + counters.wholeEvents, emitted, partials };
}

function decodeAll(records: readonly StreamRecord[], serde: AvroSerde): WindowEvent[] {
  return records.map((r) => serde.decodeSync(r.value as Buffer) as WindowEvent);
}

const accumulatorOf = (spec: AggregationSpec) => [
  { name: spec.name, type: spec.type, field: spec.field },
];

function foldPanes(spec: AggregationSpec, events: readonly WindowEvent[]): void {
  for (let i = 0; i < events.length; i += BATCH) {
    const combiner = new Combiner(spec.window, spec.groupBy, accumulatorOf(spec));
    for (const e of events.slice(i, i + BATCH)) combiner.add(e);
    combiner.drain();
  }
}

/** A window copy per window holding the event: size / slide tumbling combiners, each shifted by k slides. */
function foldWindowCopies(spec: AggregationSpec, events: readonly WindowEvent[]): void {
  if (spec.window.type !== 'sliding') throw new Error(`${spec.name} is not a sliding window`);
  const { slideMs } = spec.window;
  const copies = Math.ceil(spec.window.sizeMs / slideMs);
  const tumbling: AggregationSpec['window'] = { ...spec.window, type: 'tumbling' };
  for (let i = 0; i < events.length; i += BATCH) {
    const combiners = Array.from(
      { length: copies },
      () => new Combiner(tumbling, spec.groupBy, accumulatorOf(spec)),
    );
    for (const e of events.slice(i, i + BATCH)) {
      for (let k = 0; k < copies; k++) {
        combiners[k].add({ ...e, timestamp: e.timestamp - k * slideMs });
      }
    }
    for (const c of combiners) c.drain();
  }
}

/** Milliseconds per transaction of 100 back-to-back ones, each holding one record. */
async function transactionMs(
  config: Awaited<ReturnType<typeof load>>,
  retry: 'tuned' | 'default',
): Promise<number> {
  const kafka = createKafka(config.kafka, {
    clientId: 'steps-bench',
    logger: silentSink,
    logLevel: 'nothing',
  });
  const topic = `bench.steps.${randomUUID().slice(0, 8)}`;
  const admin = new TopicAdmin(kafka);
  await admin.connect();
  await admin.ensureTopics([{ name: topic, purpose: 'events', cleanupPolicy: 'delete' }], {
    ...topicDefaults(config.kafka),
    partitions: 1,
  });
  const transactionalId = `steps-bench-${randomUUID()}`;
  const producer: KafkaProducer =
    retry === 'tuned'
      ? createTransactionalProducer(kafka, { transactionalId })
      : kafka.producer({
          transactionalId,
          idempotent: true,
          maxInFlightRequests: 1,
          retry: { ...DEFAULT_RETRY },
        });
  await producer.connect();
  try {
    await withTransaction(producer, async (tx) => {
      await tx.send({ topic, messages: [{ value: 'warm-up' }] });
    });
    const started = performance.now();
    for (let i = 0; i < 100; i++) {
      await withTransaction(producer, async (tx) => {
        await tx.send({ topic, messages: [{ value: String(i) }] });
      });
    }
    return (performance.now() - started) / 100;
  } finally {
    await producer.disconnect();
    await admin.deleteTopics([topic]).catch(() => undefined);
    await admin.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
