import './instrument';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { installGracefulShutdown } from '@platform/observability';
import { createApp } from './bootstrap';
import { loadGatewaySettings } from './config/gateway-settings';

async function main(): Promise<void> {
  const settings = loadGatewaySettings(process.env);
  const app = await createApp();
  installGracefulShutdown(app);
  await app.listen(settings.port, settings.host);
  new Logger('IngestionGateway').log({ event: 'listening', url: await app.getUrl() });
}

main().catch((err: unknown) => {
  new Logger('IngestionGateway').error(
    { event: 'startup_failed' },
    err instanceof Error ? err.stack : String(err),
  );
  process.exit(1);
});
