import { startTelemetry } from '@platform/observability';

// Telemetry must start before Nest and Fastify load.
startTelemetry({
  serviceName: 'ingestion-gateway',
  ...(process.env['VERSION'] === undefined ? {} : { serviceVersion: process.env['VERSION'] }),
});
