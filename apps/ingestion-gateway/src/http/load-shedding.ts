import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import { errorBody, GatewayError } from './gateway.error';

/** Why a request was refused: the label of `gateway_requests_shed_total`. */
export type ShedReason = 'in_flight' | 'in_flight_bytes' | 'event_loop_delay';

export interface LoadSheddingOptions {
  /** Requests on the API routes (`/v1/…`) being worked on at once; more are refused with 503. */
  readonly maxInFlight: number;
  /**
   * Body bytes of the requests being worked on at once, by the size each declares (see
   * {@link declaredBodyBytes}); a request that would take them past this is refused with 503.
   * What a request holds grows with its body (the bytes, their text, the parsed events), so
   * the count alone does not bound memory when bodies are large.
   */
  readonly maxInFlightBytes: number;
  /**
   * How far the event loop may fall behind before new API requests are refused with 503, ms;
   * 0 turns the check off. The in-flight limit only sees requests the process has read: when
   * the CPU is the bottleneck, the queue forms in the sockets instead, and this is what grows.
   */
  readonly maxEventLoopDelayMs: number;
  /** `Retry-After` of the refusal, seconds. */
  readonly retryAfterSeconds: number;
  /** Called for every refused request (metrics). */
  readonly onShed?: (reason: ShedReason) => void;
}

/** The admission gate in front of the API (see {@link installEventsFastPath}). */
export interface LoadShedding {
  /** Requests admitted whose response has not closed yet. */
  inFlight(): number;
  /** Body bytes admitted whose response has not closed yet. */
  inFlightBytes(): number;
  /**
   * Counts the request (with a body of `bytes`) in if the gateway has room for it, and the
   * caller calls {@link leave} with the same `bytes` once when its response closes; otherwise
   * counts a refusal and returns the reason (answer with 503 and {@link refusalOf}).
   */
  enter(bytes: number): ShedReason | undefined;
  leave(bytes: number): void;
  /** The 503 body of a refusal, serialized once. */
  refusalOf(reason: ShedReason): string;
  readonly retryAfterSeconds: number;
  /** Stops the event-loop probe. */
  close(): void;
}

/** Routes that are shed: everything under `/v1/`. Probes and scrapes must answer under load. */
export function sheddable(url: string | undefined): boolean {
  return url !== undefined && url.startsWith('/v1/');
}

/**
 * The size of a body that is read as it is sent, from the request's head: its
 * `Content-Length`, 0 without one; undefined when the size is known only once the body is
 * read (chunked, or compressed: its decompressed size) or the header is not a number.
 */
export function plainBodyLength(headers: IncomingHttpHeaders): number | undefined {
  if (headers['transfer-encoding'] !== undefined) return undefined;
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') return undefined;
  const length = headers['content-length'];
  if (length === undefined) return 0;
  return /^\d+$/.test(length) ? Number(length) : undefined;
}

/**
 * The body size a request is admitted for, from its head alone: its {@link plainBodyLength}
 * (pass it when already read), or `maxBodyBytes` (the most any body may take once read) when
 * that is not known.
 */
export function declaredBodyBytes(
  headers: IncomingHttpHeaders,
  maxBodyBytes: number,
  plainLength: number | undefined = plainBodyLength(headers),
): number {
  return Math.min(plainLength ?? maxBodyBytes, maxBodyBytes);
}

/** How often the probe measures the event loop's delay. */
const PROBE_INTERVAL_MS = 10;

/**
 * How far behind the event loop is, read at any moment. A timer due every
 * {@link PROBE_INTERVAL_MS} fires late by as long as the loop was busy; between firings, a
 * probe overdue by more than the interval means the loop is busy right now, so the delay is
 * known during a long turn of the loop, while its remaining requests can still be refused.
 * (A share of requests admitted, lowered while the probe fires late and raised while it is on
 * time, measured worse: it let long turns through, and the in-flight limit then refused.)
 */
class EventLoopDelay {
  private due = performance.now() + PROBE_INTERVAL_MS;
  private readonly timer = setInterval(() => {
    this.due = performance.now() + PROBE_INTERVAL_MS;
  }, PROBE_INTERVAL_MS).unref();

  /** Ms by which the probe is overdue now. */
  behindMs(): number {
    return performance.now() - this.due;
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/**
 * The admission gate. A request is refused when `maxInFlight` requests are being worked on,
 * when its body would take the bodies in flight past `maxInFlightBytes`, or when the event
 * loop is more than `maxEventLoopDelayMs` behind: a request read now would wait
 * behind that much work, and the ones refused cost little (nothing parsed, nothing produced),
 * so the loop catches up. A request is counted out when its response closes: Node emits
 * `close` on every response, once, after it was sent or when the socket went away first.
 * (Fastify's `onResponse` and `onRequestAbort` both miss a client that hung up after sending
 * its whole body, as a client timing out does.)
 */
export function createLoadShedding(options: LoadSheddingOptions): LoadShedding {
  let inFlight = 0;
  let inFlightBytes = 0;
  const delay = options.maxEventLoopDelayMs > 0 ? new EventLoopDelay() : undefined;
  const refusals: Record<ShedReason, string> = {
    in_flight: refusal(
      `the gateway is at its limit of ${options.maxInFlight} requests in flight; retry after the Retry-After delay`,
    ),
    in_flight_bytes: refusal(
      `the gateway is at its limit of ${options.maxInFlightBytes} bytes of request bodies in flight; retry after the Retry-After delay`,
    ),
    event_loop_delay: refusal(
      `the gateway is more than ${options.maxEventLoopDelayMs} ms behind its work; retry after the Retry-After delay`,
    ),
  };
  const refuse = (reason: ShedReason): ShedReason => {
    options.onShed?.(reason);
    return reason;
  };
  return {
    inFlight: () => inFlight,
    inFlightBytes: () => inFlightBytes,
    enter: (bytes) => {
      if (inFlight >= options.maxInFlight) return refuse('in_flight');
      if (inFlightBytes + bytes > options.maxInFlightBytes) return refuse('in_flight_bytes');
      if (delay !== undefined && delay.behindMs() > options.maxEventLoopDelayMs)
        return refuse('event_loop_delay');
      inFlight += 1;
      inFlightBytes += bytes;
      return undefined;
    },
    leave: (bytes) => {
      inFlight -= 1;
      inFlightBytes -= bytes;
    },
    refusalOf: (reason) => refusals[reason],
    retryAfterSeconds: Math.max(1, Math.ceil(options.retryAfterSeconds)),
    close: () => delay?.close(),
  };
}

function refusal(message: string): string {
  return JSON.stringify(errorBody(new GatewayError(503, 'OVERLOADED', message)));
}

/**
 * Reports refusals as one warning per `intervalMs` at most, with the count of each reason
 * since the last one: a log line per refused request would cost more than the refusal.
 */
export function summarizedShedLog(
  warn: (message: string) => void,
  intervalMs = 10_000,
  now: () => number = Date.now,
): (reason: ShedReason) => void {
  const counts: Record<ShedReason, number> = {
    in_flight: 0,
    in_flight_bytes: 0,
    event_loop_delay: 0,
  };
  let last = -Infinity;
  return (reason) => {
    counts[reason] += 1;
    const at = now();
    if (at - last < intervalMs) return;
    let refused = 0;
    for (const n of Object.values(counts)) refused += n;
    warn(
      `refused ${refused} requests with 503 OVERLOADED ` +
        `(in flight at the limit: ${counts.in_flight}, bodies in flight at the limit: ${counts.in_flight_bytes}, ` +
        `event loop behind: ${counts.event_loop_delay})` +
        (last === -Infinity ? '' : ` since ${new Date(last).toISOString()}`),
    );
    for (const key of Object.keys(counts) as ShedReason[]) counts[key] = 0;
    last = at;
  };
}
