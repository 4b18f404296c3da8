import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  createLogger,
  InFlightTracker,
  installHttpInstrumentation,
  PlatformLogger,
  PlatformMetrics,
  rootLogger,
} from '@platform/observability';
import { AppModule, type SchemaRegistryAppOptions } from './app.module';
import { RegistryExceptionFilter } from './errors/registry-exception.filter';
import { REGISTRY_ERROR_CODES } from './errors/registry.error';
import { REGISTRY_CONTENT_TYPE } from './http/content-types';
import { registerJsonBodyParsers } from './http/json-body.parser';

/** Schemas are small; Confluent's own limit is in this range. */
const BODY_LIMIT_BYTES = 8 * 1024 * 1024;

/** The configured application, not yet listening: shared by main.ts and the integration tests. */
export async function createApp(
  options: SchemaRegistryAppOptions = {},
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(options),
    adapter,
    {
      bodyParser: false,
      // Start-up lines go out as they happen, as JSON; a failure reaches main, which logs it.
      logger: new PlatformLogger(createLogger({ service: 'schema-registry' })),
      abortOnError: false,
    },
  );
  app.useLogger(app.get(PlatformLogger));
  const fastify = app.getHttpAdapter().getInstance();
  registerJsonBodyParsers(fastify, BODY_LIMIT_BYTES);
  // Every answer, errors included, carries the registry's media type, as Confluent's does.
  fastify.addHook('onRequest', (_request, reply, done) => {
    void reply.header('content-type', REGISTRY_CONTENT_TYPE);
    done();
  });
  installHttpInstrumentation(fastify, {
    tracker: app.get(InFlightTracker),
    metrics: app.get(PlatformMetrics),
    drainingBody: () => ({
      error_code: REGISTRY_ERROR_CODES.SHUTTING_DOWN,
      message: 'The schema registry is shutting down; retry on another instance.',
    }),
    drainingContentType: REGISTRY_CONTENT_TYPE,
  });
  app.useGlobalFilters(new RegistryExceptionFilter());
  await app.init();
  rootLogger().info({ event: 'app_initialized' }, 'Schema registry initialized');
  return app;
}
