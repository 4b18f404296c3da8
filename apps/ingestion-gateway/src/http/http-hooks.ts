import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { InFlightTracker } from '@platform/observability';
import type { GatewayMetrics } from '../core/gateway-metrics';
import { errorBody, GatewayError } from './gateway.error';

const PROBES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

interface InFlight {
  readonly started: bigint;
  readonly finish: () => void;
}

/**
 * Request bookkeeping on the Fastify instance:
 * - while draining (SIGTERM), new requests get 503 + `Connection: close` (probes still answer);
 * - every other request counts as in-flight work until its response is sent, so the drain
 *   waits for it;
 * - request count, latency per route (the route pattern, never the raw URL) and requests in
 *   flight.
 */
export function installHttpHooks(
  fastify: FastifyInstance,
  tracker: InFlightTracker,
  metrics: GatewayMetrics,
): void {
  const inFlight = new WeakMap<FastifyRequest, InFlight>();
  const path = (request: FastifyRequest): string => request.url.split('?', 1)[0] ?? '';
  fastify.addHook('onRequest', (request, reply, done) => {
    if (tracker.isDraining && !PROBES.has(path(request))) {
      const error = new GatewayError(
        503,
        'DRAINING',
        'the gateway is shutting down; retry on another instance',
        {
          retryAfterSeconds: 1,
        },
      );
      void reply
        .code(503)
        .header('connection', 'close')
        .header('retry-after', '1')
        .header('content-type', 'application/json; charset=utf-8')
        .send(errorBody(error));
      return;
    }
    let finish: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => {
      finish = resolve;
    });
    void tracker.run(() => settled);
    metrics.inFlight.inc();
    inFlight.set(request, { started: process.hrtime.bigint(), finish });
    done();
  });
  const end = (request: FastifyRequest, status: number | undefined): void => {
    const entry = inFlight.get(request);
    if (entry === undefined) return;
    inFlight.delete(request);
    entry.finish();
    metrics.inFlight.dec();
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = Number(process.hrtime.bigint() - entry.started) / 1e9;
    metrics.requests.inc({ method: request.method, route, status: String(status ?? 0) });
    metrics.latency.observe({ method: request.method, route }, seconds);
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
