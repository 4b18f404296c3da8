// First import of the drain fixture, as `instrument.ts` is for an app: telemetry before Nest.
import { startTelemetry } from '../../index';

startTelemetry({ serviceName: 'drain-fixture' });
