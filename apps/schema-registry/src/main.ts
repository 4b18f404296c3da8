import './instrument';
import 'reflect-metadata';
import { installGracefulShutdown, rootLogger } from '@platform/observability';
import { createApp } from './bootstrap';

async function main(): Promise<void> {
  const app = await createApp();
  installGracefulShutdown(app);
  const port = Number(process.env['PORT'] ?? 8081);
  const host = process.env['HOST'] ?? '0.0.0.0';
  await app.listen(port, host);
  rootLogger().info({ event: 'listening', url: await app.getUrl() }, 'Schema registry listening');
}

main().catch((error: unknown) => {
  rootLogger().error({ event: 'startup_failed', err: error }, 'Schema registry failed to start');
  process.exit(1);
});
