/**
 * generator → Kafka, beside kcat producing the same bytes.
 *
 * - ours: `generator run --count N --rate max --target kafka` (seeded sessions, Avro through
 *   the schema registry, idempotent EventProducer, acks=all), rate from its own summary
 *   (sending only) and over the whole process (start-up included);
 * - native: the generator's records (keys and Avro values, byte for byte) read back with
 *   `kcat -C`, then produced again by `kcat -P` (librdkafka, idempotent, acks=all,
 *   linger.ms=5) into fresh topics with the same partitions; timed per topic, summed.
 *
 * libs/messaging/bench/produce.bench.ts measures EventProducer alone on hand-made events
 * (and kcat on JSON text); this one is the generator app end to end on its real output.
 *
 *   npx tsx tools/bench/src/generator.bench.ts [--count 100000]
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSchemaRegistry, uniqueName } from '@platform/testing';
import { report, requireTool, spawnMeasured } from './harness';
import {
  deleteTopicsWithPrefix,
  runGenerator,
  testConfig,
  topicSize,
  withTopicAdmin,
} from './pipeline-fixture';

const { values } = parseArgs({ options: { count: { type: 'string', default: '100000' } } });
const count = Number(values.count);

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
    const { summary, wallSeconds } = await runGenerator(prefix, count, registry.url);
    if (!summary.ok || summary.sent !== count) throw new Error('the generator did not send all');

    let kcatSeconds = 0;
    let kcatRecords = 0;
    let kcatRss = 0;
    for (const source of Object.values(summary.topics)) {
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

      const target = `${source}.kcat`;
      await withTopicAdmin(async (admin) => {
        const [described] = await admin.describeTopics([source]);
        await admin.ensureTopics([{ name: target, purpose: 'events', cleanupPolicy: 'delete' }], {
          partitions: described?.partitions.length ?? 3,
          replicationFactor: 1,
        });
      });
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
          file,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      kcatSeconds += produce.seconds;
      kcatRss = Math.max(kcatRss, produce.peakRss);
      kcatRecords += await withTopicAdmin((admin) => topicSize(admin, target));
    }
    if (kcatRecords !== count) {
      throw new Error(`kcat produced ${kcatRecords} records, expected ${count}: delimiter clash?`);
    }

    // Written by the generator into its summary file (not part of the printed summary).
    const generatorRss = (summary as { peakRssBytes?: number }).peakRssBytes;
    const peakRss = { ours: generatorRss, native: kcatRss };
    report(
      'generator-to-kafka',
      [
        {
          measure: `produce ${count.toLocaleString('en-US')} events (sending only)`,
          ours: summary.ratePerSec,
          native: count / kcatSeconds,
          unit: 'events/s',
          note: 'ours: generator summary; native: kcat -P of the same bytes',
          peakRss,
        },
        {
          measure: 'whole run, process start-up included',
          ours: count / wallSeconds,
          native: count / kcatSeconds,
          unit: 'events/s',
          note: 'ours runs under ts-node (compiles at start)',
          peakRss,
        },
      ],
      { count, broker, generatorSeconds: summary.elapsedMs / 1000, wallSeconds, kcatSeconds },
    );
  } finally {
    await registry.stop();
    await deleteTopicsWithPrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
