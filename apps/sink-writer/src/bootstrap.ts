import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger, PlatformLogger } from '@platform/observability';
import { AppModule, type SinkWriterAppOptions } from './app.module';

/** The Nest app, not yet listening (main.ts and in-process tests share it). */
export async function createApp(
  options: SinkWriterAppOptions = {},
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(options),
    new FastifyAdapter(),
    {
      // Start-up lines go out as they happen, as JSON (no silence while the group joins),
      // and a failure reaches main, which logs it and exits non-zero.
      logger: new PlatformLogger(createLogger({ service: 'sink-writer' })),
      abortOnError: false,
    },
  );
  app.useLogger(app.get(PlatformLogger));
  return app;
}
