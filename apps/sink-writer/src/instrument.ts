import { startTelemetry } from '@platform/observability';

// Before Nest and Fastify load, so their instrumentation applies.
startTelemetry({ serviceName: 'sink-writer', serviceVersion: process.env['VERSION'] });
