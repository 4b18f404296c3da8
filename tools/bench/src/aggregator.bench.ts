/**
 * aggregator throughput, exactly-once on and off, on the same input; kcat reading the same
 * topics as the native reference.
 *
 * - input: `generator run --count N --seed 7 --rate max --target kafka` into fresh topics,
 *   for the ecommerce domain (three event types, four aggregations: tumbling count and sum,
 *   sliding count_distinct, session sum) and, with `--domain telemetry`, a domain that uses
 *   every aggregation type and every window type;
 * - ours: `aggregator run-once` as a child process over all of it, twice, each time with its
 *   own application id (consumer group, internal topics) and output topics:
 *   - exactly-once: Kafka transactions (outputs, changelog, offsets);
 *   - `--no-transactions`: at-least-once, the same work without transactions;
 *   the runner reports its start-up (topics, schemas, group join, restore: up to the first
 *   batch) apart from its steady state (first batch to the last flush, when every input
 *   record is committed) and its shutdown (leaving the group); the rate is input
 *   events / steady-state time; it also reports the records that crossed the repartition
 *   topics and its peak RSS;
 * - native: `kcat -C -e` (librdkafka, read_committed) reading the same input topics to the
 *   end, output discarded: the ceiling of just consuming the bytes, no decoding or state.
 *
 *   npx tsx tools/bench/src/aggregator.bench.ts [--count 1000000] [--domain ecommerce] [--profile DIR]
 *
 * `--profile DIR` writes a V8 CPU profile of the exactly-once run into DIR (`--cpu-prof`).
 */
import { parseArgs } from 'node:util';
import { runTs, startSchemaRegistry, uniqueName } from '@platform/testing';
import { report, requireTool, timeKcatRead, runBench } from './harness';
import { deleteTopicsWithPrefix, runGenerator, testConfig, topicEnv } from './pipeline-fixture';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    domain: { type: 'string', default: 'ecommerce' },
    profile: { type: 'string' },
  },
});
const count = Number(values.count);
const domain = values.domain;

/** The `Stats:` line `aggregator run-once` prints. */
interface RunnerStats {
  readonly partials: number;
  readonly packs: number;
  readonly wholeEvents: number;
  readonly repartitionRecords: number;
  readonly transactions: number;
  readonly startupMs: number;
  readonly steadyMs: number;
  readonly shutdownMs: number;
  readonly steadyCpuMs: number;
  readonly totalMs: number;
  readonly peakRssBytes: number;
}

async function runAggregator(
  prefix: string,
  registryUrl: string,
  run: string,
  extraArgs: readonly string[],
  profileDir?: string,
): Promise<RunnerStats & { wallSeconds: number }> {
  const started = performance.now();
  const result = await runTs(
    'apps/aggregator/src/cli.ts',
    ['run-once', '--env', 'test', ...extraArgs],
    {
      ...topicEnv(prefix),
      DOMAIN: domain,
      PLATFORM__topics__aggregates: `${prefix}_${run}_aggregates`,
      PLATFORM__topics__late: `${prefix}_${run}_late`,
      PLATFORM__topics__dlq: `${prefix}_${run}_dlq`,
      PLATFORM__schema_registry__url: registryUrl,
      AGGREGATOR_APP_ID: `${prefix}_${run}`,
    },
    1_800_000,
    profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
  );
  const wallSeconds = (performance.now() - started) / 1000;
  if (result.code !== 0)
    throw new Error(`aggregator ${run} failed (${result.code}):\n${result.stderr}`);
  const line = /^Stats: (.*)$/m.exec(result.stderr);
  if (line === null) throw new Error(`aggregator ${run} printed no stats:\n${result.stderr}`);
  return { ...(JSON.parse(line[1]) as RunnerStats), wallSeconds };
}

async function main(): Promise<void> {
  const kcat = requireTool('kcat', 'kcat');
  const broker = (await testConfig()).kafka.brokers[0] as string;
  const prefix = uniqueName('bench_agg');
  const registry = await startSchemaRegistry();
  try {
    const { summary } = await runGenerator(prefix, count, registry.url, { DOMAIN: domain });
    if (!summary.ok || summary.sent !== count) throw new Error('the generator did not send all');
    const inputTopics = Object.values(summary.topics);

    const kcatSeconds = timeKcatRead(kcat, broker, inputTopics);

    const eos = await runAggregator(prefix, registry.url, 'eos', [], values.profile);
    const alo = await runAggregator(prefix, registry.url, 'alo', ['--no-transactions']);
    const rate = (r: RunnerStats): number => count / (r.steadyMs / 1000);

    report(
      `aggregator-${domain}`,
      [
        {
          measure: 'exactly-once, steady state',
          ours: rate(eos),
          native: count / kcatSeconds,
          unit: 'events/s',
          peakRss: { ours: eos.peakRssBytes, native: undefined },
          note: 'native: kcat -C reading the same input, start-up included',
        },
        {
          measure: 'at-least-once (--no-transactions), steady state',
          ours: rate(alo),
          native: count / kcatSeconds,
          unit: 'events/s',
          peakRss: { ours: alo.peakRssBytes, native: undefined },
          note: 'native: kcat -C',
        },
        {
          measure: 'exactly-once vs at-least-once',
          ours: rate(eos),
          native: rate(alo),
          unit: 'events/s',
          note: '"native" column: the same aggregator without transactions',
        },
        {
          measure: 'CPU per input event, steady state',
          ours: (eos.steadyCpuMs * 1000) / count,
          native: (alo.steadyCpuMs * 1000) / count,
          unit: 'µs',
          note: 'exactly-once / at-least-once; CPU time, which a busy machine does not stretch',
        },
        {
          measure: 'exactly-once, start-up (to the first batch)',
          ours: eos.startupMs,
          unit: 'ms',
        },
        {
          measure: 'exactly-once, shutdown (leaving the group)',
          ours: eos.shutdownMs,
          unit: 'ms',
        },
        {
          measure: 'records crossing the repartition topics',
          ours: eos.repartitionRecords,
          unit: 'records',
          note: `${eos.packs} packs holding ${eos.partials} partials + ${eos.wholeEvents} whole events, for ${count} input events`,
        },
        {
          measure: 'Kafka transactions',
          ours: eos.transactions,
          unit: 'transactions',
        },
      ],
      {
        count,
        domain,
        countsByType: summary.countsByType,
        inputTopics,
        kcatSeconds,
        exactlyOnce: eos,
        atLeastOnce: alo,
      },
    );
  } finally {
    await registry.stop();
    await deleteTopicsWithPrefix(prefix);
  }
}

runBench(main, 'aggregator');
