// Imported first by main.ts and cli.ts: OpenTelemetry must patch modules before Nest loads them.
import { startTelemetry } from '@platform/observability';

startTelemetry({ serviceName: 'aggregator' });
