/**
 * generator → Kafka and EventProducer alone, beside kcat producing the same bytes.
 *
 * - generator: `generator run --count N --rate max --target kafka --kafka-client <client>`
 *   (seeded sessions, Avro through the schema registry, idempotent EventProducer, acks=all),
 *   rate from its own summary (sending only) and over the whole process (start-up included);
 * - EventProducer alone: the same events (the generator's `--dry-run` output, same seed), held
 *   in memory, sent by an `EventProducer` on `<client>` in this process the way the generator
 *   sends them (`sendMany` of 500 events, at most 20,000 unacknowledged on kafkajs, 5,000 on librdkafka), into fresh topics;
 *   timed from the first send to the last acknowledgement (encoding included);
 * - native: the generator's records (keys and Avro values, byte for byte) read back with
 *   `kcat -C`, then produced again by `kcat -P` (librdkafka, idempotent, acks=all,
 *   linger.ms=5) into fresh topics with the same partitions; timed per topic, summed.
 *
 * Three rounds, each running every side once in turn into fresh topics (a generator process,
 * an EventProducer, kcat), and each side's median is taken: rates move by up to 2.5× between
 * runs here, so the sides share the machine's phases. kcat's input comes from a first
 * generator run that is not counted (it also takes the machine past the build of the bundle).
 *
 * The generator runs as its image runs it: compiled and bundled (tools/deploy), with plain node;
 * `--from-sources` runs its TypeScript sources under ts-node instead, as the tests do.
 *
 *   npx tsx tools/bench/src/generator.bench.ts [--count 100000] [--clients kafkajs,librdkafka]
 *     [--from-sources]
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { PlatformConfig } from '@platform/config';
import {
  createKafka,
  ensureTopicsExist,
  EventProducer,
  PRODUCER_CLIENTS,
  RdkafkaRecordProducer,
  silentSink,
  type ProducerClient,
} from '@platform/messaging';
import { SchemaRegistryClient } from '@platform/schema-registry';
import {
  generatorDryRun,
  startSchemaRegistry,
  uniqueName,
  type GeneratedEvent,
} from '@platform/testing';
import {
  listRates,
  median,
  report,
  requireTool,
  serviceEntry,
  spawnMeasured,
  type Row,
  runBench,
} from './harness';
import {
  deleteTopicsWithPrefix,
  generatorArgs,
  runGenerator,
  type GeneratorSummary,
  testConfig,
  topicSize,
  withTopicAdmin,
} from './pipeline-fixture';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '100000' },
    clients: { type: 'string', default: PRODUCER_CLIENTS.join(',') },
    'from-sources': { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const clients = values.clients.split(',').map((c) => {
  if (!(PRODUCER_CLIENTS as readonly string[]).includes(c)) throw new Error(`unknown client ${c}`);
  return c as ProducerClient;
});

/**
 * Rounds of each side, each into fresh topics; a rate is the median of its rounds (kcat's
 * moves by up to 2.5× between runs here, ours by up to 1.5×, the first round of a process
 * the slowest).
 */
const ROUNDS = 3;

/** The generator's chunk and in-flight bounds (apps/generator generation-loop, KafkaSink). */
const CHUNK = 500;
const MAX_IN_FLIGHT: Record<ProducerClient, number> = { kafkajs: 20_000, librdkafka: 5_000 };

/**
 * EventProducer alone: `events` sent the way the generator sends them, into `<prefix>_events.*`.
 * Returns events/s from the first send to the last acknowledgement.
 */
async function eventProducerAlone(
  config: PlatformConfig,
  client: ProducerClient,
  prefix: string,
  registryUrl: string,
  events: readonly GeneratedEvent[],
): Promise<number> {
  const kafka = createKafka(config.kafka, { clientId: 'bench-producer', logger: silentSink });
  const prefixes = { ...config.topics, events: `${prefix}_events` };
  await ensureTopicsExist(
    kafka,
    config.model.eventTypes.map((t) => ({
      name: `${prefixes.events}.${t.name}`,
      purpose: 'events' as const,
      cleanupPolicy: 'delete' as const,
    })),
    config.kafka,
  );
  const producer = new EventProducer({
    kafka,
    model: config.model,
    prefixes,
    registry: new SchemaRegistryClient({ url: registryUrl }),
    ...(client === 'librdkafka'
      ? { recordProducer: new RdkafkaRecordProducer(config.kafka, { clientId: 'bench-producer' }) }
      : {}),
  });
  await producer.start();
  try {
    let inFlight = 0;
    let wake: (() => void) | undefined;
    let failure: unknown;
    const pending: Promise<void>[] = [];
    const started = performance.now();
    for (let i = 0; i < events.length; i += CHUNK) {
      while (inFlight > MAX_IN_FLIGHT[client])
        await new Promise<void>((resolve) => (wake = resolve));
      const chunk = events.slice(i, i + CHUNK);
      inFlight += chunk.length;
      pending.push(
        producer
          .sendMany(chunk)
          .then(
            () => undefined,
            (e: unknown) => {
              failure ??= e;
            },
          )
          .finally(() => {
            inFlight -= chunk.length;
            const w = wake;
            wake = undefined;
            w?.();
          }),
      );
    }
    await Promise.all(pending);
    const seconds = (performance.now() - started) / 1000;
    if (failure !== undefined) throw failure;
    if (producer.getStats().sent !== events.length)
      throw new Error('EventProducer did not send all');
    return events.length / seconds;
  } finally {
    await producer.close();
  }
}

// Binary Avro may hold any byte: long delimiters that the data cannot plausibly contain
// (the record count read back checks it).
const KEY_DELIMITER = '\\xfe\\xfd\\xfc\\xfb\\xfa\\xf9\\xf8\\xf7';
const MESSAGE_DELIMITER = '\\xf7\\xf8\\xf9\\xfa\\xfb\\xfc\\xfd\\xfe';

async function main(): Promise<void> {
  const kcat = requireTool('kcat', 'kcat');
  const broker = (await testConfig()).kafka.brokers[0] as string;
  const prefix = uniqueName('bench_gen');
  const dir = mkdtempSync(join(tmpdir(), 'bench-gen-'));
  const registry = await startSchemaRegistry();
  try {
    const config = await testConfig();
    const generator = await serviceEntry('generator', 'cli', values['from-sources']);
    const generatorRun = async (topicPrefix: string, client: ProducerClient) => {
      const run = await runGenerator(
        topicPrefix,
        count,
        registry.url,
        { GENERATOR_KAFKA_CLIENT: client },
        generator,
      );
      if (!run.summary.ok || run.summary.sent !== count) {
        throw new Error(`the generator (${client}) did not send all`);
      }
      return run;
    };
    // The records kcat sends come from a first run of the generator, which is not counted: it
    // also takes the machine past the build of the bundle.
    const input = await generatorRun(`${prefix}_input`, clients[0] as ProducerClient);
    const sources = Object.values(input.summary.topics);
    const files = sources.map((source) => {
      const file = join(dir, `${source}.bin`);
      const out = openSync(file, 'w');
      const dump = spawnSync(
        kcat,
        [
          '-C',
          '-b',
          broker,
          '-t',
          source,
          '-e',
          '-q',
          '-K',
          KEY_DELIMITER,
          '-D',
          MESSAGE_DELIMITER,
        ],
        { stdio: ['ignore', out, 'pipe'] },
      );
      closeSync(out);
      if (dump.status !== 0) throw new Error(`kcat -C failed: ${dump.stderr.toString()}`);
      return file;
    });
    const events = await generatorDryRun(generatorArgs(count));

    // Each round runs every side once, in turn (the generator, EventProducer alone, kcat), so
    // that each side's median spans the same phases of the machine. kcat -P sends every topic's
    // records into fresh topics with the source's partitions (seconds per topic, summed); only
    // kcat is timed. One admin connection for the rounds.
    const runs = clients.map((client) => ({
      client,
      summaries: [] as GeneratorSummary[],
      wallSeconds: [] as number[],
    }));
    const producerRates = new Map<ProducerClient, { rates: number[]; rss: number }>(
      clients.map((client) => [client, { rates: [], rss: 0 }]),
    );
    const kcatRounds: { seconds: number; rss: number }[] = [];
    await withTopicAdmin(async (admin) => {
      const partitions = new Map(
        (await admin.describeTopics(sources)).map((t) => [t.name, t.partitions.length]),
      );
      for (let round = 0; round < ROUNDS; round++) {
        for (const run of runs) {
          const { summary, wallSeconds } = await generatorRun(
            `${prefix}_${run.client}${round}`,
            run.client,
          );
          run.summaries.push(summary);
          run.wallSeconds.push(wallSeconds);
        }
        for (const [client, rates] of producerRates) {
          rates.rates.push(
            await eventProducerAlone(
              config,
              client,
              `${prefix}_ep_${client}${round}`,
              registry.url,
              events,
            ),
          );
          rates.rss = process.resourceUsage().maxRSS * 1024;
        }
        const targets = sources.map((source) => `${source}.kcat${round}`);
        await admin.ensureTopics(
          targets.map((name, i) => ({
            name,
            purpose: 'events' as const,
            cleanupPolicy: 'delete' as const,
            partitions: partitions.get(sources[i] as string) ?? 3,
          })),
          { partitions: 3, replicationFactor: 1 },
        );
        let seconds = 0;
        let rss = 0;
        let records = 0;
        for (const [i, target] of targets.entries()) {
          const produce = spawnMeasured(
            kcat,
            [
              '-P',
              '-b',
              broker,
              '-t',
              target,
              '-K',
              KEY_DELIMITER,
              '-D',
              MESSAGE_DELIMITER,
              '-X',
              'enable.idempotence=true',
              '-X',
              'acks=all',
              '-X',
              'linger.ms=5',
              '-l',
              files[i] as string,
            ],
            { stdio: ['ignore', 'ignore', 'pipe'] },
          );
          seconds += produce.seconds;
          rss = Math.max(rss, produce.peakRss);
          records += await topicSize(admin, target);
        }
        if (records !== count) {
          throw new Error(`kcat produced ${records} records, expected ${count}: delimiter clash?`);
        }
        kcatRounds.push({ seconds, rss });
      }
    });
    const kcatRates = kcatRounds.map((r) => count / r.seconds).sort((a, b) => a - b);
    const kcatRss = Math.max(...kcatRounds.map((r) => r.rss));
    const kcatRange = `kcat ${listRates(kcatRates)} events/s`;

    const nativeRate = median(kcatRates);
    const rows: Row[] = [];
    for (const run of runs) {
      // Written by the generator into its summary file (not part of the printed summary).
      const generatorRss = Math.max(
        ...run.summaries.map((s) => (s as { peakRssBytes?: number }).peakRssBytes ?? 0),
      );
      const peakRss = { ours: generatorRss || undefined, native: kcatRss };
      const sendingRates = run.summaries.map((s) => s.ratePerSec);
      rows.push(
        {
          measure: `generator (${run.client}), ${count.toLocaleString('en-US')} events, sending only`,
          ours: median(sendingRates),
          native: nativeRate,
          unit: 'events/s',
          note: `ours: generator summary, median of ${listRates(sendingRates)}; native: kcat -P of the same bytes, median of ${kcatRange}`,
          peakRss,
        },
        {
          measure: `generator (${run.client}), whole run, start-up included`,
          ours: median(run.wallSeconds.map((s) => count / s)),
          native: nativeRate,
          unit: 'events/s',
          note: values['from-sources']
            ? 'ours runs under ts-node (compiles at start)'
            : 'ours runs its image’s bundle with plain node',
          peakRss,
        },
      );
    }
    for (const [client, { rates, rss }] of producerRates) {
      rows.push({
        measure: `EventProducer alone (${client}), sendMany of ${CHUNK}`,
        ours: median(rates),
        native: nativeRate,
        unit: 'events/s',
        note: `ours: the same events in memory, encoding included, median of ${listRates(rates)}; RSS: the bench process`,
        peakRss: { ours: rss, native: kcatRss },
      });
    }
    report('generator-to-kafka', rows, {
      count,
      broker,
      generatorSeconds: Object.fromEntries(
        runs.map((r) => [r.client, r.summaries.map((s) => s.elapsedMs / 1000)]),
      ),
      wallSeconds: Object.fromEntries(runs.map((r) => [r.client, r.wallSeconds])),
      eventProducerRates: Object.fromEntries(producerRates),
      kcatRates,
    });
  } finally {
    await registry.stop();
    await deleteTopicsWithPrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main, 'generator');
