import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './bootstrap';

async function main(): Promise<void> {
  const app = await createApp();
  app.enableShutdownHooks();
  const port = Number(process.env['PORT'] ?? 8081);
  const host = process.env['HOST'] ?? '0.0.0.0';
  await app.listen(port, host);
  new Logger('SchemaRegistry').log({ event: 'listening', url: await app.getUrl() });
}

main().catch((err: unknown) => {
  new Logger('SchemaRegistry').error(
    { event: 'startup_failed' },
    err instanceof Error ? err.stack : String(err),
  );
  process.exit(1);
});
