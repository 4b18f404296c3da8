import './instrument';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import {
  exitOnStartupFailure,
  installGracefulShutdown,
  installProcessFailureHandler,
} from '@platform/observability';
import { createApp } from './bootstrap';
import { loadSinkWriterSettings } from './config/sink-writer.config';

const failures = installProcessFailureHandler({ app: 'sink-writer' });

async function main(): Promise<void> {
  const settings = loadSinkWriterSettings(process.env);
  const app = await createApp();
  failures.drainWith(() => app.close());
  // On SIGTERM: readiness goes down and the consumer stops fetching; the batch in hand is
  // written and committed; then the sinks close and the process exits 0.
  installGracefulShutdown(app);
  await app.listen(settings.port, settings.host);
  new Logger('SinkWriter').log({ event: 'listening', url: await app.getUrl() });
}

main().catch((err: unknown) => exitOnStartupFailure('sink-writer', err));
