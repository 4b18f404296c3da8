import './instrument';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { installGracefulShutdown } from '@platform/observability';
import { createApp } from './bootstrap';
import { loadSinkWriterSettings } from './config/sink-writer.config';

async function main(): Promise<void> {
  const settings = loadSinkWriterSettings(process.env);
  const app = await createApp();
  // On SIGTERM: readiness goes down and the consumer stops fetching; the batch in hand is
  // written and committed; then the sinks close and the process exits 0.
  installGracefulShutdown(app);
  await app.listen(settings.port, settings.host);
  new Logger('SinkWriter').log({ event: 'listening', url: await app.getUrl() });
}

main().catch((err: unknown) => {
  new Logger('SinkWriter').error(
    { event: 'startup_failed' },
    err instanceof Error ? err.stack : String(err),
  );
  process.exit(1);
});
