import { IncomingMessage } from 'node:http';
import { context as contextApi, ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NodeSDK, resources, tracing, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import { SynchronousContextManager } from './synchronous-context-manager';

export interface TelemetryOptions {
  /** `service.name` on every span; `OTEL_SERVICE_NAME` wins when set. */
  readonly serviceName: string;
  /** `service.version`; defaults to `VERSION` or `npm_package_version` when set. */
  readonly serviceVersion?: string;
  /** Incoming paths never traced (probes and scrapes). Default {@link UNTRACED_PATHS}. */
  readonly untracedPaths?: readonly string[];
  /** Environment to read the `OTEL_*` variables from (tests). Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Share of new traces recorded (0 to 1), with a parent-based sampler: a request that arrives
   * with a `traceparent` follows its caller's decision, others are sampled at this ratio by
   * trace id. Unsampled requests still carry trace ids (logs, Kafka headers) at almost no cost.
   * `OTEL_TRACES_SAMPLER`, when set, wins. Default: every trace (the SDK's default).
   */
  readonly sampleRatio?: number;
  /**
   * How the active context follows the work. `async` (default): across promises, timers and
   * callbacks (AsyncLocalStorage), at a cost on every async resource the process makes.
   * `synchronous`: for the synchronous extent of `context.with` only
   * ({@link SynchronousContextManager}); the service re-enters a request's context after an
   * `await` itself (see {@link serverContextOf}).
   */
  readonly contextPropagation?: 'async' | 'synchronous';
}

export interface TelemetryHandle {
  readonly serviceName: string;
  /** Which exporters are active, for the start-up log line: e.g. `{ traces: 'otlp', metrics: 'none' }`. */
  readonly exporters: Readonly<Record<'traces' | 'metrics' | 'logs', string>>;
  /** Flushes pending spans and stops the SDK. Safe to call more than once. */
  shutdown(): Promise<void>;
}

/** Probe and scrape routes: tracing them would drown real traffic in noise. */
export const UNTRACED_PATHS: readonly string[] = ['/healthz', '/readyz', '/metrics'];

type SpanProcessor = NonNullable<NodeSDKConfiguration['spanProcessors']>[number];

// With no exporter we still want a recording tracer provider: it mints trace and span ids,
// so logs carry trace_id and Kafka headers carry traceparent even without a collector.
const discardingSpanProcessor: SpanProcessor = {
  onStart: () => undefined,
  onEnd: () => undefined,
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

let current: TelemetryHandle | undefined;

/** The context of each incoming request's server span, for {@link serverContextOf}. */
const serverContexts = new WeakMap<IncomingMessage, Context>();

/**
 * The context of the server span the HTTP instrumentation started for `request` (ROOT for an
 * untraced one): what a handler re-enters with `context.with` when the active context does not
 * follow it across `await`s (`contextPropagation: 'synchronous'`).
 */
export function serverContextOf(request: IncomingMessage): Context {
  return serverContexts.get(request) ?? ROOT_CONTEXT;
}

function isSet(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = env[name];
  return value !== undefined && value.trim() !== '';
}

/**
 * Which signals go where, following the standard `OTEL_*` variables, except that with no
 * OTLP endpoint and no explicit `OTEL_<SIGNAL>_EXPORTER` we export nothing instead of the
 * SDK default (OTLP to localhost:4318, which logs export errors when no collector runs).
 */
export function resolveExporters(env: NodeJS.ProcessEnv): TelemetryHandle['exporters'] {
  const anyEndpoint = isSet(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const pick = (signal: 'TRACES' | 'METRICS' | 'LOGS', defaultWithEndpoint: string): string => {
    const explicit = env[`OTEL_${signal}_EXPORTER`];
    if (explicit !== undefined && explicit.trim() !== '') return explicit.trim();
    if (anyEndpoint || isSet(env, `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`)) {
      return defaultWithEndpoint;
    }
    return 'none';
  };
  // Logs stay on stdout (JSON lines) unless OTEL_LOGS_EXPORTER asks for more.
  const logsExplicit = env['OTEL_LOGS_EXPORTER'];
  return {
    traces: pick('TRACES', 'otlp'),
    metrics: pick('METRICS', 'otlp'),
    logs: logsExplicit !== undefined && logsExplicit.trim() !== '' ? logsExplicit.trim() : 'none',
  };
}

function pathOf(request: IncomingMessage): string {
  const url = request.url ?? '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * Starts the OpenTelemetry Node SDK: resource with the service name and version, HTTP
 * instrumentation, W3C trace context propagation, exporters from the `OTEL_*` variables.
 * Call it before anything else is imported (see `instrument.ts` in the README) so the
 * instrumentation patches `http` before Nest loads it. Idempotent: later calls return the
 * first handle. Never throws because a collector is missing: exporters retry in the background.
 */
export function startTelemetry(options: TelemetryOptions): TelemetryHandle {
  if (current !== undefined) return current;
  const env = options.env ?? process.env;
  const serviceName = env['OTEL_SERVICE_NAME']?.trim() || options.serviceName;
  const serviceVersion =
    options.serviceVersion ?? (env['VERSION']?.trim() || env['npm_package_version']?.trim());
  const exporters = resolveExporters(env);
  const untraced = new Set(options.untracedPaths ?? UNTRACED_PATHS);

  const config: Partial<NodeSDKConfiguration> = {
    serviceName,
    resource: resources.resourceFromAttributes({
      'service.name': serviceName,
      ...(serviceVersion === undefined ? {} : { 'service.version': serviceVersion }),
    }),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => untraced.has(pathOf(request)),
        // Called inside the span's context, for incoming and outgoing requests alike.
        requestHook: (_span, request) => {
          if (request instanceof IncomingMessage) serverContexts.set(request, contextApi.active());
        },
      }),
    ],
  };
  if (options.sampleRatio !== undefined && !isSet(env, 'OTEL_TRACES_SAMPLER')) {
    config.sampler = parentBasedRatioSampler(options.sampleRatio);
  }
  if (options.contextPropagation === 'synchronous') {
    config.contextManager = new SynchronousContextManager();
  }
  // Leaving an option out lets the SDK build that signal from the OTEL_* variables.
  if (exporters.traces === 'none') config.spanProcessors = [discardingSpanProcessor];
  if (exporters.metrics === 'none') config.metricReaders = [];
  if (exporters.logs === 'none') config.logRecordProcessors = [];

  const sdk = new NodeSDK(config);
  sdk.start();

  let stopping: Promise<void> | undefined;
  current = {
    serviceName,
    exporters,
    shutdown: () => {
      // A flush that fails (collector gone) must not fail the shutdown of the service.
      stopping ??= sdk.shutdown().catch(() => undefined);
      return stopping;
    },
  };
  return current;
}

/** Follows the caller's sampling decision; new traces are sampled at `ratio` (0 to 1) by trace id. */
export function parentBasedRatioSampler(ratio: number): tracing.Sampler {
  if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`sample ratio ${ratio} is not in [0, 1]`);
  return new tracing.ParentBasedSampler({ root: new tracing.TraceIdRatioBasedSampler(ratio) });
}

/** The handle of the running SDK, if {@link startTelemetry} was called in this process. */
export function currentTelemetry(): TelemetryHandle | undefined {
  return current;
}

/** Flushes and stops the SDK if it was started; a no-op otherwise. */
export async function shutdownTelemetry(): Promise<void> {
  await current?.shutdown();
}
