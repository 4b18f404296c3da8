import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { InFlightTracker, PlatformLogger } from '@platform/observability';
import { AppModule, type GatewayAppOptions } from './app.module';
import { loadGatewaySettings } from './config/gateway-settings';
import { GatewayMetrics } from './core/gateway-metrics';
import { GatewayExceptionFilter } from './http/gateway-exception.filter';
import { installHttpHooks } from './http/http-hooks';
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
  installHttpHooks(fastify, app.get(InFlightTracker), app.get(GatewayMetrics));
  app.useGlobalFilters(new GatewayExceptionFilter());
  await app.init();
  return app;
}
