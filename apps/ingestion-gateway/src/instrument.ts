import { startTelemetry } from '@platform/observability';
import { traceSampleRatioOf } from './config/gateway-settings';
import { eventsRouteOf } from './http/events-routes';

// Telemetry must start before Nest and Fastify load.
startTelemetry({
  serviceName: 'ingestion-gateway',
  ...(process.env['VERSION'] === undefined ? {} : { serviceVersion: process.env['VERSION'] }),
  // Every request still gets trace ids (logs, Kafka headers); only a share is recorded.
  sampleRatio: traceSampleRatioOf(process.env),
  // The events routes start their own server span (see events-fast-path.ts).
  untraced: (path) => eventsRouteOf(path) !== undefined,
});
