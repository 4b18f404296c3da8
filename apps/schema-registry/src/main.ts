import './instrument';
import 'reflect-metadata';
import { takeRunFlags } from '@platform/config';
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
  const app = await createApp();
  failures.drainWith(() => app.close());
  installGracefulShutdown(app);
  const port = Number(process.env['PORT'] ?? 8081);
  const host = process.env['HOST'] ?? '0.0.0.0';
  await app.listen(port, host);
  rootLogger().info({ event: 'listening', url: await app.getUrl() }, 'Schema registry listening');
}

main().catch((error: unknown) => exitOnStartupFailure('schema-registry', error));
