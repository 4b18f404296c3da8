import './instrument';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { load } from '@platform/config';
import {
  assertReachable,
  exitOnStartupFailure,
  installGracefulShutdown,
  installProcessFailureHandler,
} from '@platform/observability';
import { createApp } from './bootstrap';
import { loadSinkWriterSettings } from './config/sink-writer.config';

const failures = installProcessFailureHandler({ app: 'sink-writer' });

async function main(): Promise<void> {
  const settings = loadSinkWriterSettings(process.env);
  await assertDependenciesReachable(settings.sinks);
  const app = await createApp();
  failures.drainWith(() => app.close());
  // On SIGTERM: readiness goes down and the consumer stops fetching; the batch in hand is
  // written and committed; then the sinks close and the process exits 0.
  installGracefulShutdown(app);
  await app.listen(settings.port, settings.host);
  new Logger('SinkWriter').log({ event: 'listening', url: await app.getUrl() });
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

main().catch((err: unknown) => exitOnStartupFailure('sink-writer', err));
