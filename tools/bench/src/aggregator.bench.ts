/**
 * aggregator throughput, exactly-once on and off, on the same input; kcat reading the same
 * topics as the native reference.
 *
 * - input: `generator run --count N --seed 7 --rate max --target kafka` (ecommerce.yaml: three
 *   event types, four aggregations) into fresh topics;
 * - ours: `aggregator run-once` as a child process over all of it, twice, each time with its
 *   own application id (consumer group, internal topics) and output topics:
 *   - exactly-once: one Kafka transaction per batch (outputs, changelog, offsets);
 *   - `--no-transactions`: at-least-once, the same work without transactions;
 *   the rate is input events / the runner's own time (from connecting to the last flush,
 *   start-up of Node and ts-node excluded); the process wall time is in the JSON context;
 * - native: `kcat -C -e` (librdkafka, read_committed) reading the same input topics to the
 *   end, output discarded: the ceiling of just consuming the bytes, no decoding or state.
 *
 *   npx tsx tools/bench/src/aggregator.bench.ts [--count 200000]
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { runTs, startSchemaRegistry, uniqueName } from '@platform/testing';
import { report, requireTool } from './harness';
import { deleteTopicsWithPrefix, runGenerator, testConfig, topicEnv } from './pipeline-fixture';

const { values } = parseArgs({ options: { count: { type: 'string', default: '200000' } } });
const count = Number(values.count);

interface AggregatorRun {
  readonly runnerSeconds: number;
  readonly wallSeconds: number;
}

async function runAggregator(
  prefix: string,
  registryUrl: string,
  run: string,
  extraArgs: readonly string[],
): Promise<AggregatorRun> {
  const started = performance.now();
  const result = await runTs(
    'apps/aggregator/src/cli.ts',
    ['run-once', '--env', 'test', ...extraArgs],
    {
      ...topicEnv(prefix),
      PLATFORM__topics__aggregates: `${prefix}_${run}_aggregates`,
      PLATFORM__topics__late: `${prefix}_${run}_late`,
      PLATFORM__topics__dlq: `${prefix}_${run}_dlq`,
      PLATFORM__schema_registry__url: registryUrl,
      AGGREGATOR_APP_ID: `${prefix}_${run}`,
    },
    900_000,
  );
  const wallSeconds = (performance.now() - started) / 1000;
  if (result.code !== 0)
    throw new Error(`aggregator ${run} failed (${result.code}):\n${result.stderr}`);
  const done = / in ([\d.]+) s;/.exec(result.stderr);
  if (done === null) throw new Error(`aggregator ${run} printed no timing:\n${result.stderr}`);
  return { runnerSeconds: Number(done[1]), wallSeconds };
}

async function main(): Promise<void> {
  const kcat = requireTool('kcat', 'kcat');
  const broker = (await testConfig()).kafka.brokers[0] as string;
  const prefix = uniqueName('bench_agg');
  const registry = await startSchemaRegistry();
  try {
    const { summary } = await runGenerator(prefix, count, registry.url);
    if (!summary.ok || summary.sent !== count) throw new Error('the generator did not send all');
    const inputTopics = Object.values(summary.topics);

    const kcatStarted = performance.now();
    for (const topic of inputTopics) {
      const read = spawnSync(
        kcat,
        ['-C', '-b', broker, '-t', topic, '-e', '-q', '-X', 'isolation.level=read_committed'],
        { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * 1024 * 1024 },
      );
      if (read.status !== 0) throw new Error(`kcat -C failed: ${read.stderr.toString()}`);
    }
    const kcatSeconds = (performance.now() - kcatStarted) / 1000;

    const exactlyOnce = await runAggregator(prefix, registry.url, 'eos', []);
    const atLeastOnce = await runAggregator(prefix, registry.url, 'alo', ['--no-transactions']);

    report(
      'aggregator',
      [
        {
          measure: 'run-once, exactly-once (transactions)',
          ours: count / exactlyOnce.runnerSeconds,
          native: count / kcatSeconds,
          unit: 'events/s',
          note: 'native: kcat -C, consume only',
        },
        {
          measure: 'run-once, at-least-once (--no-transactions)',
          ours: count / atLeastOnce.runnerSeconds,
          native: count / kcatSeconds,
          unit: 'events/s',
          note: 'native: kcat -C, consume only',
        },
        {
          measure: 'exactly-once vs at-least-once',
          ours: count / exactlyOnce.runnerSeconds,
          native: count / atLeastOnce.runnerSeconds,
          unit: 'events/s',
          note: '"native" column: the same aggregator without transactions',
        },
      ],
      {
        count,
        countsByType: summary.countsByType,
        inputTopics,
        kcatSeconds,
        exactlyOnce,
        atLeastOnce,
      },
    );
  } finally {
    await registry.stop();
    await deleteTopicsWithPrefix(prefix);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
