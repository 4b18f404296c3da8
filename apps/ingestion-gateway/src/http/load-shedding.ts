import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { errorBody, GatewayError, type ErrorBody } from './gateway.error';

export interface LoadSheddingOptions {
  /** Requests on the API routes (`/v1/…`) being worked on at once; more are refused with 503. */
  readonly maxInFlight: number;
  /** `Retry-After` of the refusal, seconds. */
  readonly retryAfterSeconds: number;
  /** Called for every refused request (metrics). */
  readonly onShed?: () => void;
}

/** The admission gate, shared by the Fastify hook and the events fast path. */
export interface LoadShedding {
  /** Requests admitted whose response has not closed yet. */
  inFlight(): number;
  /**
   * Admits the request of `response` if under the limit, counting it until the response
   * closes; otherwise counts a refusal and returns false (answer {@link refusal} with 503).
   */
  admit(response: ServerResponse): boolean;
  /**
   * `admit` for a caller that already listens for its response's `close`: counts the request
   * in if under the limit, and the caller calls {@link leave} once on that `close`.
   */
  enter(): boolean;
  leave(): void;
  readonly refusal: ErrorBody;
  readonly retryAfterSeconds: number;
}

/** Routes that are never shed: probes and scrapes must answer under load. */
const SHEDDABLE_PREFIX = '/v1/';

/**
 * The in-flight counter. A request is counted out when its response closes: Node emits
 * `close` on every response, once, after it was sent or when the socket went away first.
 * (Fastify's `onResponse` and `onRequestAbort` both miss a client that hung up after sending
 * its whole body, as a client timing out does: Node does not mark that request aborted, and
 * each such request held a slot for good until the gateway shed everything.)
 */
export function createLoadShedding(options: LoadSheddingOptions): LoadShedding {
  let inFlight = 0;
  const leave = (): void => {
    inFlight -= 1;
  };
  const enter = (): boolean => {
    if (inFlight >= options.maxInFlight) {
      options.onShed?.();
      return false;
    }
    inFlight += 1;
    return true;
  };
  return {
    inFlight: () => inFlight,
    admit: (response) => {
      if (!enter()) return false;
      response.once('close', leave);
      return true;
    },
    enter,
    leave,
    refusal: errorBody(
      new GatewayError(
        503,
        'OVERLOADED',
        `the gateway is at its limit of ${options.maxInFlight} requests in flight; retry after the Retry-After delay`,
      ),
    ),
    retryAfterSeconds: Math.max(1, Math.ceil(options.retryAfterSeconds)),
  };
}

/**
 * An admission gate in front of the API: at most `maxInFlight` requests are worked on at once,
 * counted from `onRequest` (before the body is read) to the response. One more is refused at
 * once with 503 `OVERLOADED` and `Retry-After`, without reading its body, so an overloaded
 * gateway answers what it admitted within a bounded time instead of queueing without end:
 * work waiting in the process is at most `maxInFlight` requests. Nothing refused was produced,
 * so a retry can never make a second copy. Pass `gate` to share one limit with the fast path.
 */
export function registerLoadShedding(
  fastify: FastifyInstance,
  options: LoadSheddingOptions,
  gate: LoadShedding = createLoadShedding(options),
): LoadShedding {
  const refusal = JSON.stringify(gate.refusal);
  const retryAfter = String(gate.retryAfterSeconds);
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!request.url.startsWith(SHEDDABLE_PREFIX)) {
      done();
      return;
    }
    if (!gate.admit(reply.raw)) {
      void reply
        .code(503)
        .header('retry-after', retryAfter)
        .header('content-type', 'application/json; charset=utf-8')
        .send(refusal);
      return;
    }
    done();
  });
  return gate;
}
