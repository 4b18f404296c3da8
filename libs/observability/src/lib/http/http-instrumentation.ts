import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PlatformMetrics } from '../metrics/platform-metrics';
import { httpRequestMetrics, type HttpRequestMetrics } from '../metrics/http-request-metrics';
import type { InFlightTracker } from '../shutdown/in-flight-tracker';

/** Paths that answer while draining and stay out of the in-flight count. */
const PROBES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

export interface HttpInstrumentationOptions {
  readonly tracker: InFlightTracker;
  readonly metrics: PlatformMetrics;
  /** The body of the 503 a request gets while the service drains, in the service's error format. */
  readonly drainingBody: () => unknown;
  /** Default `application/json; charset=utf-8`. */
  readonly drainingContentType?: string;
}

interface InFlight {
  readonly started: bigint;
}

/**
 * Request bookkeeping for a Fastify service (every platform service runs on Fastify):
 * - while draining (SIGTERM), new requests get 503, `Retry-After: 1` and `Connection: close`
 *   (probes still answer);
 * - every other request counts as in-flight work until its response is sent, so the drain
 *   waits for it;
 * - `platform_http_requests_total`, `platform_http_request_duration_seconds` (by the route
 *   pattern, never the raw URL) and `platform_http_requests_in_flight`.
 */
export function installHttpInstrumentation(
  fastify: FastifyInstance,
  options: HttpInstrumentationOptions,
): void {
  const { tracker, metrics } = options;
  const http = httpMetrics(metrics);
  const inFlight = new WeakMap<FastifyRequest, InFlight>();
  const path = (request: FastifyRequest): string => request.url.split('?', 1)[0] ?? '';

  fastify.addHook('onRequest', (request, reply, done) => {
    if (tracker.isDraining && !PROBES.has(path(request))) {
      void reply
        .code(503)
        .header('connection', 'close')
        .header('retry-after', '1')
        .header('content-type', options.drainingContentType ?? 'application/json; charset=utf-8')
        .send(JSON.stringify(options.drainingBody()));
      return;
    }
    tracker.enter();
    http.enter();
    inFlight.set(request, { started: process.hrtime.bigint() });
    // `onResponse` and `onRequestAbort` both miss a client that hung up after sending its
    // whole body (Node does not mark that request aborted): the response's `close` does not.
    reply.raw.on('close', () =>
      end(request, reply.raw.writableFinished ? reply.raw.statusCode : 499),
    );
    done();
  });
  const end = (request: FastifyRequest, status: number): void => {
    const entry = inFlight.get(request);
    if (entry === undefined) return;
    inFlight.delete(request);
    tracker.leave();
    http.leave();
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = Number(process.hrtime.bigint() - entry.started) / 1e9;
    http.record(request.method, route, status, seconds);
  };
  fastify.addHook('onResponse', (request, reply, done) => {
    end(request, reply.statusCode);
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    end(request, 499);
    done();
  });
}

/** The `platform_http_*` metrics, for any server path that answers requests outside Fastify's hooks too. */
export function httpMetrics(metrics: HttpInstrumentationOptions['metrics']): HttpRequestMetrics {
  return httpRequestMetrics(metrics.registry);
}
