// Imported first by main.ts: OpenTelemetry must patch modules before Nest loads them.
import { startTelemetry } from '@platform/observability';

startTelemetry({ serviceName: 'schema-registry' });
