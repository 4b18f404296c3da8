import './instrument';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadAppSettings, generatorSection } from '@platform/config';
import {
  installGracefulShutdown,
  installProcessFailureHandler,
  PlatformLogger,
  rootLogger,
} from '@platform/observability';
import { AppModule } from './app.module';

const failures = installProcessFailureHandler({ app: 'generator' });

async function main(): Promise<void> {
  // A bad PORT or HOST fails the start before anything connects.
  const { port, host } = loadAppSettings(generatorSection, process.env);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), {
    bufferLogs: true,
  });
  app.useLogger(app.get(PlatformLogger));
  failures.drainWith(() => app.close());
  installGracefulShutdown(app);
  await app.listen(port, host);
  rootLogger().info({ event: 'listening', url: await app.getUrl() }, 'Generator listening');
}

main().catch((error: unknown) => {
  rootLogger().error({ event: 'startup_failed', err: error }, 'Generator failed to start');
  process.exit(1);
});
