/**
 * Produce rate of EventProducer beside kcat (librdkafka), same run, same broker:
 *   - kcat:          `kcat -P -b <broker> -t T -X enable.idempotence=true -X linger.ms=5` of N
 *                    JSON lines (the same events as text; kcat splits its input on newlines, so
 *                    it cannot be fed binary Avro);
 *   - EventProducer: N page_view events of the ecommerce model, Avro-encoded, idempotent,
 *                    acks=all, timed until every event was acknowledged: once through
 *                    `sendMany` in chunks of 1,000 (one promise per chunk, as the generator
 *                    sends), once through `send` per event (a promise each, as the gateway).
 * Each run writes to a fresh 3-partition topic, deleted afterwards. Peak RSS is this
 * process's (the producer's side) and kcat's, measured by GNU time.
 * Run: npx tsx libs/messaging/bench/produce.bench.ts [events] [maxBatchSize]
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { load } from '@platform/config';
import { EventProducer } from '../src/lib/event-producer';
import { InMemorySchemaRegistrar } from '../src/lib/in-memory-registrar';
import { createKafka } from '../src/lib/kafka-client';
import { silentSink } from '../src/lib/kafka-logger';
import { TopicAdmin } from '../src/lib/topic-admin';

const N = Number(process.argv[2] ?? 100_000);
const MAX_BATCH = Number(process.argv[3] ?? 2_000);
const CHUNK = 1_000;

function event(i: number): Record<string, unknown> {
  return {
    event_id: `e-${i}`,
    timestamp: 1_735_689_600_000 + i,
    user_id: `user-${i % 1000}`,
    page_url: `https://shop.example/p/${i % 5000}`,
    page_title: `Product ${i % 5000}`,
    referrer: null,
    device_type: ['desktop', 'mobile', 'tablet'][i % 3],
    country: ['US', 'GB', 'DE', 'FR', 'JP', 'BR'][i % 6],
  };
}

async function main(): Promise<void> {
  const config = await load({ environment: 'test' });
  const broker = config.kafka.brokers[0] as string;
  const kafka = createKafka(config.kafka, { clientId: 'produce-bench', logger: silentSink });
  const admin = new TopicAdmin(kafka);
  await admin.connect();
  const run = `bench${randomUUID().slice(0, 8)}`;
  const prefixes = { ...config.topics, events: `${run}.events` };
  const kcatTopic = `${run}.kcat`;
  const evTopic = `${prefixes.events}.page_view`;
  const perEventPrefixes = { ...config.topics, events: `${run}.single` };
  const perEventTopic = `${perEventPrefixes.events}.page_view`;
  const spec = (name: string) => ({
    name,
    purpose: 'events' as const,
    cleanupPolicy: 'delete' as const,
  });
  await admin.ensureTopics([spec(kcatTopic), spec(evTopic), spec(perEventTopic)], {
    partitions: 3,
    replicationFactor: 1,
  });

  try {
    const file = path.join(os.tmpdir(), `${run}.jsonl`);
    const lines = Array.from({ length: N }, (_, i) => JSON.stringify(event(i))).join('\n');
    writeFileSync(file, `${lines}\n`);
    const rssFile = path.join(os.tmpdir(), `${run}.rss`);
    const t0 = performance.now();
    execFileSync('/usr/bin/time', [
      '-f',
      '%M',
      '-o',
      rssFile,
      'kcat',
      '-P',
      '-b',
      broker,
      '-t',
      kcatTopic,
      '-l',
      '-X',
      'enable.idempotence=true',
      '-X',
      'linger.ms=5',
      '-X',
      'acks=all',
      file,
    ]);
    const kcatSeconds = (performance.now() - t0) / 1000;
    const kcatRss = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) * 1024;

    const model = {
      ...config.model,
      eventTypes: config.model.eventTypes.filter((e) => e.name === 'page_view'),
    };
    const events = Array.from({ length: N }, (_, i) => event(i));
    const timed = async (
      topicPrefixes: typeof prefixes,
      send: (producer: EventProducer) => Promise<void>,
    ): Promise<number> => {
      const producer = new EventProducer({
        kafka,
        model,
        prefixes: topicPrefixes,
        registry: new InMemorySchemaRegistrar(),
        maxBatchSize: MAX_BATCH,
      });
      await producer.start();
      const started = performance.now();
      await send(producer);
      const seconds = (performance.now() - started) / 1000;
      await producer.close();
      return seconds;
    };
    const oursSeconds = await timed(prefixes, async (producer) => {
      const chunks: Promise<void>[] = [];
      for (let i = 0; i < N; i += CHUNK) {
        chunks.push(
          producer.sendMany(
            events.slice(i, i + CHUNK).map((e) => ({ eventType: 'page_view', event: e })),
          ),
        );
      }
      await Promise.all(chunks);
    });
    const perEventSeconds = await timed(perEventPrefixes, async (producer) => {
      const sends: Promise<void>[] = new Array(N);
      for (let i = 0; i < N; i++) sends[i] = producer.send('page_view', events[i]);
      await Promise.all(sends);
    });
    const oursRss = process.resourceUsage().maxRSS * 1024;

    const offsets = async (t: string) =>
      (await admin.topicOffsets(t)).reduce((sum, p) => sum + Number(p.high - p.low), 0);
    const rows = [
      {
        client: 'kcat (librdkafka)',
        events: await offsets(kcatTopic),
        seconds: kcatSeconds,
        peakRssMb: kcatRss / 2 ** 20,
      },
      {
        client: `EventProducer.sendMany (kafkajs, batch ${MAX_BATCH})`,
        events: await offsets(evTopic),
        seconds: oursSeconds,
        peakRssMb: oursRss / 2 ** 20,
      },
      {
        client: `EventProducer.send per event`,
        events: await offsets(perEventTopic),
        seconds: perEventSeconds,
        peakRssMb: oursRss / 2 ** 20,
      },
    ].map((r) => ({
      ...r,
      seconds: Number(r.seconds.toFixed(2)),
      msgPerSec: Math.round(N / r.seconds),
      peakRssMb: Math.round(r.peakRssMb),
    }));
    process.stdout.write(
      `${rows.map((r) => `${r.client.padEnd(44)} ${String(r.events).padStart(8)} events  ${r.seconds.toFixed(2).padStart(6)} s  ${String(r.msgPerSec).padStart(8)} msg/s  peak RSS ${r.peakRssMb} MB`).join('\n')}\n`,
    );
    const kcatRate = rows[0]?.msgPerSec ?? 1;
    process.stdout.write(
      `ratio EventProducer.sendMany/kcat: ${((rows[1]?.msgPerSec ?? 0) / kcatRate).toFixed(2)}\n` +
        `ratio EventProducer.send/kcat: ${((rows[2]?.msgPerSec ?? 0) / kcatRate).toFixed(2)}\n`,
    );
    process.stdout.write(`${JSON.stringify({ events: N, rows })}\n`);
  } finally {
    await admin.deleteTopics([kcatTopic, evTopic, perEventTopic]);
    await admin.disconnect();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
