import './instrument';
import 'reflect-metadata';
import { loadAppSettings, registrySection, takeRunFlags } from '@platform/config';
import {
  exitOnStartupFailure,
  installGracefulShutdown,
  installProcessFailureHandler,
  rootLogger,
} from '@platform/observability';
import { createApp } from './bootstrap';

const failures = installProcessFailureHandler({ app: 'schema-registry' });

async function main(): Promise<void> {
  takeRunFlags(process.argv.slice(2)); // --namespace, --domain-file, --domain
  // A bad PORT or HOST fails the start before anything connects.
  const { port, host } = loadAppSettings(registrySection, process.env);
  const app = await createApp();
  failures.drainWith(() => app.close());
  installGracefulShutdown(app);
  await app.listen(port, host);
  rootLogger().info({ event: 'listening', url: await app.getUrl() }, 'Schema registry listening');
}

main().catch((error: unknown) => exitOnStartupFailure('schema-registry', error));
