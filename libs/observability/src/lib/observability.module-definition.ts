import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import type { Registry } from 'prom-client';
import type { HealthIndicatorPort } from './health/health-indicator';
import type { LogLevel } from './logging/logger';

export interface ObservabilityModuleOptions {
  /** `service` on every log line; match the name given to `startTelemetry`. */
  readonly serviceName: string;
  readonly serviceVersion?: string;
  /** Pass `config.logging` (`LoggingSettings`) or `{ level }`; `LOG_LEVEL` beats both. */
  readonly logging?: { readonly level?: LogLevel };
  /** Checks `/readyz` runs; more can be added at run time through `ReadinessRegistry`. */
  readonly readiness?: readonly HealthIndicatorPort[];
  /** Bound on each readiness check unless the indicator sets its own. Default 2000 ms. */
  readonly readinessTimeoutMs?: number;
  /** How long shutdown waits for in-flight work. Default 25 000 ms (k8s grace is 30 s). */
  readonly drainTimeoutMs?: number;
  /** One log line per HTTP request (method, path, status, latency). Default true. */
  readonly requestLogging?: boolean;
  /**
   * Share (0 to 1) of successful requests (below 400) whose line is logged at `info`; the rest
   * go to `debug`. Errors are always logged. Default 1.
   */
  readonly requestLogSampleRate?: number;
  /** Log destination (tests). Default stdout. */
  readonly logDestination?: DestinationStream;
  /** Metrics registry (tests). Default the process registry with default metrics. */
  readonly registry?: Registry;
}

export const {
  ConfigurableModuleClass: ObservabilityConfigurableModule,
  MODULE_OPTIONS_TOKEN: OBSERVABILITY_MODULE_OPTIONS,
  OPTIONS_TYPE: OBSERVABILITY_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: OBSERVABILITY_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ObservabilityModuleOptions>()
  .setClassMethodName('forRoot')
  // One logger, one registry and one drain per process: every module may inject them.
  .setExtras({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
