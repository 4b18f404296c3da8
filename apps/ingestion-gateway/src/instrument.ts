import { startTelemetry } from '@platform/observability';
import { traceSampleRatioOf } from './config/gateway-settings';

// Telemetry must start before Nest and Fastify load.
startTelemetry({
  serviceName: 'ingestion-gateway',
  ...(process.env['VERSION'] === undefined ? {} : { serviceVersion: process.env['VERSION'] }),
  // Every request still gets trace ids (logs, Kafka headers); only a share is recorded.
  sampleRatio: traceSampleRatioOf(process.env),
  // No async hooks on every promise (ADR 0027): the events paths carry their request's context
  // past their awaits themselves.
  contextPropagation: 'synchronous',
});
