import './instrument';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { takeRunFlags } from '@platform/config';
import {
  exitOnStartupFailure,
  installGracefulShutdown,
  installProcessFailureHandler,
} from '@platform/observability';
import { createApp } from './bootstrap';
import { loadGatewaySettings } from './config/gateway-settings';

const APP = 'ingestion-gateway';
const failures = installProcessFailureHandler({ app: APP });

async function main(): Promise<void> {
  takeRunFlags(process.argv.slice(2)); // --namespace, --domain-file, --domain
  const settings = loadGatewaySettings(process.env);
  const app = await createApp();
  failures.drainWith(() => app.close());
  installGracefulShutdown(app);
  await app.listen(settings.port, settings.host);
  new Logger('IngestionGateway').log({ event: 'listening', url: await app.getUrl() });
}

main().catch((err: unknown) => exitOnStartupFailure(APP, err));
