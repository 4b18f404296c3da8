import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { PlatformLogger } from '@platform/observability';
import { AppModule, type SinkWriterAppOptions } from './app.module';

/** The Nest app, not yet listening (main.ts and in-process tests share it). */
export async function createApp(
  options: SinkWriterAppOptions = {},
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(options),
    new FastifyAdapter(),
    { bufferLogs: true },
  );
  app.useLogger(app.get(PlatformLogger));
  return app;
}
