import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { Logger } from 'pino';
import { HealthController } from './health/health.controller';
import { ReadinessRegistry } from './health/readiness.registry';
import { createLogger, resolveLogLevel, setRootLogger } from './logging/logger';
import { PlatformLogger } from './logging/platform-logger.service';
import { RequestLoggingService } from './logging/request-logging.service';
import { MetricsController } from './metrics/metrics.controller';
import { metricsRegistry, PlatformMetrics } from './metrics/platform-metrics';
import {
  OBSERVABILITY_MODULE_OPTIONS,
  ObservabilityConfigurableModule,
  type ObservabilityModuleOptions,
} from './observability.module-definition';
import { OBSERVABILITY_LOGGER } from './observability.tokens';
import { DrainService } from './shutdown/drain.service';
import { InFlightTracker } from './shutdown/in-flight-tracker';

/**
 * Everything an app needs to be observable and to stop cleanly: JSON logger (`PlatformLogger`
 * for Nest, the pino logger under {@link OBSERVABILITY_LOGGER}), `PlatformMetrics` and
 * `GET /metrics`, `GET /healthz` and `GET /readyz` (terminus) over a `ReadinessRegistry`,
 * and the `InFlightTracker`/`DrainService` shutdown sequence. Global.
 */
@Module({
  // Terminus logs every failing probe at error; HealthController logs transitions instead.
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [MetricsController, HealthController],
  providers: [
    {
      provide: OBSERVABILITY_LOGGER,
      inject: [OBSERVABILITY_MODULE_OPTIONS],
      useFactory: (options: ObservabilityModuleOptions): Logger => {
        const logger = createLogger({
          service: options.serviceName,
          ...(options.serviceVersion === undefined ? {} : { version: options.serviceVersion }),
          level: resolveLogLevel(options.logging?.level),
          ...(options.logDestination === undefined ? {} : { destination: options.logDestination }),
        });
        // timed/retry/logged outside Nest write through the same logger.
        setRootLogger(logger);
        return logger;
      },
    },
    {
      provide: PlatformLogger,
      inject: [OBSERVABILITY_LOGGER],
      useFactory: (logger: Logger): PlatformLogger => new PlatformLogger(logger),
    },
    {
      provide: PlatformMetrics,
      inject: [OBSERVABILITY_MODULE_OPTIONS],
      useFactory: (options: ObservabilityModuleOptions): PlatformMetrics =>
        new PlatformMetrics(options.registry ?? metricsRegistry()),
    },
    {
      provide: ReadinessRegistry,
      inject: [OBSERVABILITY_MODULE_OPTIONS],
      useFactory: (options: ObservabilityModuleOptions): ReadinessRegistry =>
        new ReadinessRegistry(options.readiness ?? []),
    },
    { provide: InFlightTracker, useFactory: (): InFlightTracker => new InFlightTracker() },
    DrainService,
    RequestLoggingService,
  ],
  exports: [
    OBSERVABILITY_LOGGER,
    PlatformLogger,
    PlatformMetrics,
    ReadinessRegistry,
    InFlightTracker,
    DrainService,
  ],
})
export class ObservabilityModule extends ObservabilityConfigurableModule {}
