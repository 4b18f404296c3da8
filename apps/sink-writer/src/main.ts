// `sink-writer [run]`: the service. `sink-writer run-once`: up to the end offsets at start, then exit.
import './instrument';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { load, takeRunFlags } from '@platform/config';
import {
  assertReachable,
  exitOnStartupFailure,
  exitWhenFlushed,
  installGracefulShutdown,
  installProcessFailureHandler,
  writeOutput,
} from '@platform/observability';
import { createApp } from './bootstrap';
import { loadSinkWriterSettings } from './config/sink-writer.config';
import { SinkConsumerService } from './consumer/sink-consumer.service';
import { formatRunOnceSummary } from './writer/run-once-summary';

const USAGE = `Usage: sink-writer [run|run-once] [--namespace <name>] [--domain <name>] [--domain-file <path>]

  run        consume continuously (default), with /healthz, /readyz, /metrics on PORT
  run-once   write up to the end offsets captured at start, print a summary, exit 0
`;

const failures = installProcessFailureHandler({ app: 'sink-writer' });

async function main(argv: readonly string[]): Promise<void> {
  const [command = 'run', ...extra] = takeRunFlags(argv);
  if (command === '-h' || command === '--help') {
    process.stdout.write(USAGE);
    return;
  }
  if ((command !== 'run' && command !== 'run-once') || extra.length > 0) {
    process.stderr.write(`error: unexpected ${[command, ...extra].join(' ')}\n\n${USAGE}`);
    process.exit(2);
  }
  const settings = loadSinkWriterSettings(process.env);
  await assertDependenciesReachable(settings.sinks);
  if (command === 'run-once') return runOnce();
  const app = await createApp();
  failures.drainWith(() => app.close());
  // On SIGTERM: readiness goes down and the consumer stops fetching; the batch in hand is
  // written and committed; then the sinks close and the process exits 0.
  installGracefulShutdown(app);
  await app.listen(settings.port, settings.host);
  new Logger('SinkWriter').log({ event: 'listening', url: await app.getUrl() });
}

/** No HTTP listener: consume to the ends captured at start, drain, print the summary. */
async function runOnce(): Promise<void> {
  const started = Date.now();
  const app = await createApp({ runOnce: true });
  failures.drainWith(() => app.close());
  await app.init();
  const service = app.get(SinkConsumerService);
  await service.untilEnd();
  await app.close(); // writes and commits the batch in hand, closes the sinks
  writeOutput(`${formatRunOnceSummary(service.totals(), Date.now() - started)}\n`);
  exitWhenFlushed(0);
}

/**
 * Kafka and the configured sinks accept a TCP connection, or start-up fails at once with one
 * line naming the address and the reason (instead of retrying in silence).
 */
async function assertDependenciesReachable(sinks: readonly string[]): Promise<void> {
  const config = await load();
  const timeoutMs = config.kafka.connection_timeout_ms;
  await assertReachable('Kafka', config.kafka.brokers, timeoutMs);
  if (sinks.includes('postgres')) {
    await assertReachable(
      'PostgreSQL',
      [`${config.postgres.host}:${config.postgres.port}`],
      timeoutMs,
    );
  }
  if (sinks.includes('clickhouse')) {
    const url = new URL(config.clickhouse.url);
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    await assertReachable('ClickHouse', [`${url.hostname}:${port}`], timeoutMs);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => exitOnStartupFailure('sink-writer', err));
