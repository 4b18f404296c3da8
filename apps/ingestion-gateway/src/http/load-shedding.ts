import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorBody, GatewayError } from './gateway.error';

export interface LoadSheddingOptions {
  /** Requests on the API routes (`/v1/…`) being worked on at once; more are refused with 503. */
  readonly maxInFlight: number;
  /** `Retry-After` of the refusal, seconds. */
  readonly retryAfterSeconds: number;
  /** Called for every refused request (metrics). */
  readonly onShed?: () => void;
}

/** Routes that are never shed: probes and scrapes must answer under load. */
const SHEDDABLE_PREFIX = '/v1/';

/**
 * An admission gate in front of the API: at most `maxInFlight` requests are worked on at once,
 * counted from `onRequest` (before the body is read) to the response. One more is refused at
 * once with 503 `OVERLOADED` and `Retry-After`, without reading its body, so an overloaded
 * gateway answers what it admitted within a bounded time instead of queueing without end:
 * work waiting in the process is at most `maxInFlight` requests. Nothing refused was produced,
 * so a retry can never make a second copy.
 */
export function registerLoadShedding(
  fastify: FastifyInstance,
  options: LoadSheddingOptions,
): { readonly inFlight: () => number } {
  let inFlight = 0;
  const admitted = new WeakSet<FastifyRequest>();
  const refusal = JSON.stringify(
    errorBody(
      new GatewayError(
        503,
        'OVERLOADED',
        `the gateway is at its limit of ${options.maxInFlight} requests in flight; retry after the Retry-After delay`,
      ),
    ),
  );
  const retryAfter = String(Math.max(1, Math.ceil(options.retryAfterSeconds)));
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!request.url.startsWith(SHEDDABLE_PREFIX)) {
      done();
      return;
    }
    if (inFlight >= options.maxInFlight) {
      options.onShed?.();
      void reply
        .code(503)
        .header('retry-after', retryAfter)
        .header('content-type', 'application/json; charset=utf-8')
        .send(refusal);
      return;
    }
    inFlight += 1;
    admitted.add(request);
    done();
  });
  const release = (request: FastifyRequest): void => {
    if (admitted.delete(request)) inFlight -= 1;
  };
  fastify.addHook('onResponse', (request, _reply, done) => {
    release(request);
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    release(request);
    done();
  });
  return { inFlight: () => inFlight };
}
