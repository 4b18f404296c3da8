import type { Server } from 'node:http';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  createLogger,
  InFlightTracker,
  installHttpInstrumentation,
  PlatformLogger,
  PlatformMetrics,
} from '@platform/observability';
import { AppModule, type GatewayAppOptions } from './app.module';
import { loadGatewaySettings } from './config/gateway-settings';
import { answerClientError, answerFrameworkError } from './http/client-error';
import { GatewayExceptionFilter } from './http/gateway-exception.filter';
import { errorBody, GatewayError } from './http/gateway.error';
import { registerContentDecoding } from './http/content-encoding';
import { registerJsonParser } from './http/json-body';
import { createLoadShedding, summarizedShedLog } from './http/load-shedding';
import { installEventsFastPath } from './http/events-fast-path';
import { WriteKeyAuthService } from './auth/write-key-auth.service';
import { EventsService } from './events/events.service';
import { GatewayMetrics } from './core/gateway-metrics';

/** The configured gateway, initialized (Kafka, PostgreSQL connected) but not yet listening. */
export async function createApp(options: GatewayAppOptions = {}): Promise<NestFastifyApplication> {
  const settings = loadGatewaySettings(options.env ?? process.env);
  const adapter = new FastifyAdapter({
    bodyLimit: settings.maxBodyBytes,
    // A slow client is cut off with 408: the headers within their timeout, the whole request
    // (body included) within the request timeout. Node checks both every `connectionsCheckingInterval`.
    requestTimeout: settings.requestTimeoutMs,
    http: {
      headersTimeout: settings.headersTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, settings.headersTimeoutMs),
    },
    // Keep-alive sockets must not hold a draining process open.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // What the HTTP parser or the router refuses is answered in the gateway's error shape.
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(options),
    adapter,
    {
      bodyParser: false,
      // Start-up lines go out as they happen, as JSON, and a failure reaches the caller
      // (which logs it and exits non-zero) instead of Nest's own abort.
      logger: new PlatformLogger(createLogger({ service: 'ingestion-gateway' })),
      abortOnError: false,
    },
  );
  app.useLogger(app.get(PlatformLogger));
  const fastify = app.getHttpAdapter().getInstance();
  registerContentDecoding(fastify);
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
  const metrics = app.get(GatewayMetrics);
  const shedLogger = new Logger('LoadShedding');
  const logShed = summarizedShedLog((message) => shedLogger.warn(message));
  const shedding = createLoadShedding({
    maxInFlight: settings.maxInFlight,
    maxInFlightBytes: settings.maxInFlightBytes,
    maxEventLoopDelayMs: settings.maxEventLoopDelayMs,
    retryAfterSeconds: 1,
    onShed: (reason) => {
      metrics.shed.inc({ reason });
      logShed(reason);
    },
  });
  fastify.addHook('onClose', (_instance, done) => {
    shedding.close();
    done();
  });
  app.useGlobalFilters(new GatewayExceptionFilter());
  await app.init();
  // After init: the request logging listener is attached, and the fast path runs it too.
  installEventsFastPath(app.getHttpServer() as Server, {
    auth: app.get(WriteKeyAuthService),
    events: app.get(EventsService),
    shedding,
    tracker: app.get(InFlightTracker),
    metrics: app.get(PlatformMetrics),
    maxBodyBytes: settings.maxBodyBytes,
    maxJsonDepth: settings.maxJsonDepth,
  });
  return app;
}
