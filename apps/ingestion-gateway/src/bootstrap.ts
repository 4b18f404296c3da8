import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  InFlightTracker,
  installHttpInstrumentation,
  PlatformLogger,
  PlatformMetrics,
} from '@platform/observability';
import { AppModule, type GatewayAppOptions } from './app.module';
import { loadGatewaySettings } from './config/gateway-settings';
import { GatewayExceptionFilter } from './http/gateway-exception.filter';
import { errorBody, GatewayError } from './http/gateway.error';
import { registerJsonParser } from './http/json-body';

/** The configured gateway, initialized (Kafka, PostgreSQL connected) but not yet listening. */
export async function createApp(options: GatewayAppOptions = {}): Promise<NestFastifyApplication> {
  const settings = loadGatewaySettings(options.env ?? process.env);
  const adapter = new FastifyAdapter({
    bodyLimit: settings.maxBodyBytes,
    // Keep-alive sockets must not hold a draining process open.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(options),
    adapter,
    {
      bodyParser: false,
      bufferLogs: true,
    },
  );
  app.useLogger(app.get(PlatformLogger));
  const fastify = app.getHttpAdapter().getInstance();
  registerJsonParser(fastify, settings.maxBodyBytes, settings.maxJsonDepth);
  installHttpInstrumentation(fastify, {
    tracker: app.get(InFlightTracker),
    metrics: app.get(PlatformMetrics),
    drainingBody: () =>
      errorBody(
        new GatewayError(
          503,
          'DRAINING',
          'the gateway is shutting down; retry on another instance',
          {
            retryAfterSeconds: 1,
          },
        ),
      ),
  });
  app.useGlobalFilters(new GatewayExceptionFilter());
  await app.init();
  return app;
}
