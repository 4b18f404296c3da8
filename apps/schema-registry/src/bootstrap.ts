import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule, type SchemaRegistryAppOptions } from './app.module';
import { RegistryExceptionFilter } from './errors/registry-exception.filter';
import { REGISTRY_CONTENT_TYPE } from './http/content-types';
import { registerJsonBodyParsers } from './http/json-body.parser';

/** Schemas are small; Confluent's own limit is in this range. */
const BODY_LIMIT_BYTES = 8 * 1024 * 1024;

export interface CreateAppOptions extends SchemaRegistryAppOptions {
  /** `false` silences Nest's logger (tests). Default: JSON lines, or coloured text with LOG_FORMAT=pretty. */
  readonly logger?: false;
}

function appLogger(options: CreateAppOptions): false | ConsoleLogger {
  if (options.logger === false) return false;
  const pretty = process.env['LOG_FORMAT'] === 'pretty';
  return new ConsoleLogger('SchemaRegistry', { json: !pretty, colors: pretty });
}

/** The configured application, not yet listening: shared by main.ts and the integration tests. */
export async function createApp(options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(options),
    adapter,
    {
      bodyParser: false,
      logger: appLogger(options),
    },
  );
  const fastify = app.getHttpAdapter().getInstance();
  registerJsonBodyParsers(fastify, BODY_LIMIT_BYTES);
  // Every answer, errors included, carries the registry's media type, as Confluent's does.
  fastify.addHook('onRequest', (_request, reply, done) => {
    void reply.header('content-type', REGISTRY_CONTENT_TYPE);
    done();
  });
  app.useGlobalFilters(new RegistryExceptionFilter());
  await app.init();
  new Logger('SchemaRegistry').log({ event: 'app_initialized' });
  return app;
}
