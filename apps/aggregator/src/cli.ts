// `aggregator run|run-once …` (see aggregator/args.ts and README.md).
import './instrument';
import 'reflect-metadata';
import { load, takeRunFlags } from '@platform/config';
import { silentSink } from '@platform/messaging';
import {
  createLogger,
  exitWhenFlushed,
  installProcessFailureHandler,
  resolveLogLevel,
  rootLogger,
  shutdownTelemetry,
} from '@platform/observability';
import { SchemaRegistryClient } from '@platform/schema-registry';
import { parseArgs } from './aggregator/args';
import { formatTable, LatestRows } from './aggregator/console-table';
import { serve } from './main';
import { AggregatorRunner } from './pipeline/aggregator-runner';
import { readSettings } from './pipeline/settings';

async function runOnce(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(takeRunFlags(argv)); // --namespace, --domain-file, --domain
  if (parsed.kind === 'exit') {
    (parsed.code === 0 ? process.stdout : process.stderr).write(parsed.output);
    return parsed.code;
  }
  const { args } = parsed;
  const fromEnv = readSettings(process.env);
  const settings = {
    ...fromEnv,
    transactions: args.transactions && fromEnv.transactions,
    ...(args.aggregations.length > 0 ? { aggregations: args.aggregations } : {}),
  };
  if (args.mode === 'run') {
    await serve({
      settings,
      console: args.console,
      ...(args.environment === undefined ? {} : { environment: args.environment }),
    });
    return -1; // keeps running; the shutdown hooks exit
  }
  const config = await load(
    args.environment === undefined ? {} : { environment: args.environment },
  );
  // With --console, stdout carries only the table; the JSON log lines go to stderr.
  const logger = createLogger({
    service: 'aggregator',
    level: resolveLogLevel(config.logging.level), // LOG_LEVEL beats the config
    ...(args.console ? { destination: process.stderr } : {}),
  });
  const latest = new LatestRows();
  let events = 0;
  const started = Date.now();
  const runner = new AggregatorRunner({
    config,
    settings,
    mode: 'run-once',
    registry: new SchemaRegistryClient({ url: config.schema_registry.url }),
    logger,
    kafkaLogger: silentSink,
    metrics: {
      eventsProcessed: (_a, n) => (events += n),
      lateEvents: () => undefined,
      windowsEmitted: () => undefined,
      transaction: () => undefined,
    },
    onCommitted: (rows) => latest.apply(rows),
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) process.exit(130);
    stopping = true;
    void runner.stop().then(() => process.exit(143));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await runner.start();
  // Everything is committed here; leaving the group (which waits for a fetch in flight) is shutdown.
  const completed = Date.now();
  const { stats } = runner;
  const steadyCpu = stats.firstBatchCpu === null ? null : process.cpuUsage(stats.firstBatchCpu);
  await runner.stop();
  // The spans of the last windows are still in the exporter's batch; a collector that does
  // not answer holds the exit back by at most this long.
  await Promise.race([shutdownTelemetry(), new Promise((r) => setTimeout(r, 5_000).unref())]);
  if (args.console) process.stdout.write(`${formatTable(latest.list())}\n`);
  const finished = Date.now();
  const seconds = (finished - started) / 1000;
  process.stderr.write(
    `Done: ${events.toLocaleString('en-US')} event(s) aggregated (per aggregation, this instance) in ${seconds.toFixed(1)} s; ${latest.list().length} row(s) emitted by this instance; transactions ${settings.transactions ? 'on (exactly-once)' : 'OFF (at-least-once)'}\n`,
  );
  // One JSON line for tools (the benchmark): start-up and steady state apart.
  process.stderr.write(
    `Stats: ${JSON.stringify({
      ...stats,
      firstBatchCpu: undefined,
      // CPU time of this process in the steady state: a busy machine stretches the wall time.
      steadyCpuMs: steadyCpu === null ? null : (steadyCpu.user + steadyCpu.system) / 1000,
      totalMs: finished - started,
      steadyMs: stats.firstBatchAt === null ? null : completed - stats.firstBatchAt,
      shutdownMs: finished - completed,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    })}\n`,
  );
  return 0;
}

installProcessFailureHandler({ app: 'aggregator' });
runOnce(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) exitWhenFlushed(code);
  },
  (error: unknown) => {
    rootLogger().error({ event: 'aggregator.failed', err: error }, 'aggregator failed');
    process.stderr.write(
      `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
