// The one public door of @platform/observability.
// Telemetry first: apps import this lib from `instrument.ts`, the first import of main.ts.
export {
  startTelemetry,
  shutdownTelemetry,
  currentTelemetry,
  resolveExporters,
  parentBasedRatioSampler,
  serverContextOf,
  UNTRACED_PATHS,
} from './lib/telemetry/telemetry';
export { SynchronousContextManager } from './lib/telemetry/synchronous-context-manager';
export type { TelemetryHandle, TelemetryOptions } from './lib/telemetry/telemetry';
export {
  injectTraceContext,
  injectSampledTraceContext,
  extractTraceContext,
  withTraceContext,
  activeTraceFields,
  isSampledTraceparent,
} from './lib/telemetry/trace-context';
export type { KafkaHeadersIn, KafkaHeadersOut } from './lib/telemetry/trace-context';

// Logging
export {
  createLogger,
  resolveLogLevel,
  isLogLevel,
  rootLogger,
  setRootLogger,
} from './lib/logging/logger';
export { REDACTED, REDACTED_KEYS, redactSecrets, scrubSecrets } from './lib/logging/redact';
export type { CreateLoggerOptions, LogLevel, PinoLogger } from './lib/logging/logger';
export { writeOutput } from './lib/logging/log-line-writer';
export { PlatformLogger } from './lib/logging/platform-logger.service';
export { attachRequestLogging } from './lib/logging/request-logging';
export type { RequestLoggingOptions } from './lib/logging/request-logging';

// Helpers (seed 002's timed / retry / logged)
export { timed, stopwatch } from './lib/helpers/timed';
export type { TimedOptions } from './lib/helpers/timed';
export { retry } from './lib/helpers/retry';
export type { RetryInfo, RetryOptions } from './lib/helpers/retry';
export { DEFAULT_BACKOFF, backoffDelay, isRetriableError } from './lib/helpers/backoff';
export type { BackoffOptions } from './lib/helpers/backoff';
export { logged } from './lib/helpers/logged';
export type { LoggedOptions } from './lib/helpers/logged';
export { Timed, Logged, Retry } from './lib/helpers/decorators';
export type { HelperLogger, HelperLogLevel, StructuredLogFn } from './lib/helpers/helper-logger';

// Metrics
export {
  PlatformMetrics,
  metricsRegistry,
  METRIC_NAMES,
  METRIC_PREFIX,
  LATENCY_BUCKETS,
} from './lib/metrics/platform-metrics';
export type { HistogramOptions, MetricOptions, SinkWrite } from './lib/metrics/platform-metrics';
export { MetricsController } from './lib/metrics/metrics.controller';

// Health
export {
  postgresIndicator,
  clickhouseIndicator,
  indicator,
  runIndicator,
  runReadiness,
  HealthTimeoutError,
  DEFAULT_INDICATOR_TIMEOUT_MS,
} from './lib/health/health-indicator';
export type {
  HealthIndicatorPort,
  IndicatorOptions,
  IndicatorStatus,
  PingResult,
  ReadinessReport,
  SqlQueryable,
} from './lib/health/health-indicator';
export { ReadinessRegistry } from './lib/health/readiness.registry';
export { HealthController } from './lib/health/health.controller';

// Shutdown
export { InFlightTracker } from './lib/shutdown/in-flight-tracker';
export { httpMetrics, installHttpInstrumentation } from './lib/http/http-instrumentation';
export type { HttpRequestMetrics } from './lib/metrics/http-request-metrics';
export type { HttpInstrumentationOptions } from './lib/http/http-instrumentation';
export { DrainService, DEFAULT_DRAIN_TIMEOUT_MS } from './lib/shutdown/drain.service';
export { installGracefulShutdown } from './lib/shutdown/graceful-shutdown';
export { exitWhenFlushed } from './lib/shutdown/exit-when-flushed';
export type { GracefulShutdownOptions } from './lib/shutdown/graceful-shutdown';

// Process failures and start-up checks: one way for every app to fail, and to say why
export {
  exitOnStartupFailure,
  failureLine,
  installProcessFailureHandler,
} from './lib/process/process-failures';
export type { ProcessFailureHandle, ProcessFailureOptions } from './lib/process/process-failures';
export { assertReachable, DependencyUnreachableError, tcpProbe } from './lib/process/reachability';

// Nest module
export { ObservabilityModule } from './lib/observability.module';
export {
  OBSERVABILITY_MODULE_OPTIONS,
  type ObservabilityModuleOptions,
} from './lib/observability.module-definition';
export { OBSERVABILITY_LOGGER, InjectPinoLogger } from './lib/observability.tokens';
