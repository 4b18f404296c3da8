import { Logger } from '@nestjs/common';
import {
  context as contextApi,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
} from '@opentelemetry/api';
import { httpMetrics, type InFlightTracker, type PlatformMetrics } from '@platform/observability';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { WriteKeyAuthService } from '../auth/write-key-auth.service';
import type { WriteKeyRecord } from '../auth/write-keys';
import type { EventsService } from '../events/events.service';
import { toGatewayError } from './gateway-exception.filter';
import { errorBody } from './gateway.error';
import { EVENTS_PATH, eventsRouteOf } from './events-routes';
import { parseJsonBody, utf8Body, utf8Charset } from './json-body';
import { declaredBodyBytes, plainBodyLength, sheddable, type LoadShedding } from './load-shedding';

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

export interface EventsFastPathOptions {
  readonly auth: WriteKeyAuthService;
  readonly events: EventsService;
  readonly shedding: LoadShedding;
  readonly tracker: InFlightTracker;
  readonly metrics: PlatformMetrics;
  readonly maxBodyBytes: number;
  readonly maxJsonDepth: number;
}

/**
 * Whether the request takes the fast path: a plain JSON body of a declared length within the
 * limit, nothing to decode. Anything else (gzip, chunked, a missing or odd content type, too
 * large) goes through the Fastify stack, whose hooks answer it exactly as before.
 */
export function fastPathEligible(
  request: IncomingMessage,
  maxBodyBytes: number,
  length: number | undefined = plainBodyLength(request.headers),
): boolean {
  const h = request.headers;
  if (h['content-length'] === undefined || length === undefined || length > maxBodyBytes)
    return false;
  const type = h['content-type']?.toLowerCase();
  // Another charset goes to the Fastify stack, which refuses it.
  if (type === undefined || !utf8Charset(type)) return false;
  return (
    type === 'application/json' ||
    type.startsWith('application/json;') ||
    type === 'text/plain' ||
    type.startsWith('text/plain;')
  );
}

/**
 * The events routes served straight from Node's `request` event: the same write-key check,
 * rate limit, contract validation, produce and answers as the Nest controller (which still
 * serves every request this path does not take), without the per-request cost of the router,
 * the hook chain, the content-type parser and the HTTP instrumentation, which was most of the
 * gateway's CPU time per single-event request (ADR 0014).
 *
 * It is also the front door of every API request, fast or not: load shedding (503 OVERLOADED
 * before the body is read, see `load-shedding.ts`) happens here, ahead of everything else.
 * What every admitted request keeps: the drain (in-flight work is waited for; a draining
 * gateway leaves requests to the Fastify stack, which answers DRAINING),
 * `platform_http_requests_*`, a server span (recorded when sampled, parent-based) whose context
 * carries trace ids into logs and Kafka headers, and the request log line (the other `request`
 * listeners run inside that context).
 */
export function installEventsFastPath(server: Server, options: EventsFastPathOptions): void {
  const logger = new Logger('EventsFastPath');
  const { tracker, shedding, auth, events, metrics } = options;
  const http = httpMetrics(metrics);
  const tracer = trace.getTracer('ingestion-gateway');

  // The `request` listeners installed so far: the fast path runs all but Fastify's.
  const listeners = server.listeners('request') as ((
    request: IncomingMessage,
    response: ServerResponse,
  ) => void)[];

  /** Answers with a JSON text already serialized (a refusal's is made once). */
  const sendText = (
    response: ServerResponse,
    status: number,
    text: string,
    retryAfter?: number,
  ): void => {
    if (response.headersSent || response.destroyed) return;
    const headers: Record<string, string | number> = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    };
    if (retryAfter !== undefined)
      headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfter)));
    response.writeHead(status, headers);
    response.end(text);
  };
  const send = (response: ServerResponse, status: number, body: unknown, retryAfter?: number) =>
    sendText(response, status, JSON.stringify(body), retryAfter);

  const fail = (request: IncomingMessage, response: ServerResponse, exception: unknown): void => {
    const { error, unexpected } = toGatewayError(exception);
    if (unexpected) {
      logger.error(
        {
          event: 'request_failed',
          method: request.method,
          url: pathOf(request.url ?? ''),
          status: error.status,
        },
        exception instanceof Error ? exception.stack : String(exception),
      );
    }
    send(response, error.status, errorBody(error), error.extra.retryAfterSeconds);
  };

  /** Serves an authenticated request: every answer, error or not, goes through `send`/`fail`. */
  const serve = (
    request: IncomingMessage,
    response: ServerResponse,
    route: string,
    path: string,
    body: unknown,
    key: WriteKeyRecord,
  ): void => {
    const facts = {
      headers: request.headers,
      // An empty User-Agent tells nothing: as if there were none.
      userAgent: request.headers['user-agent'] || undefined,
      ip: request.socket.remoteAddress,
    };
    if (route === EVENTS_PATH) {
      answer(
        request,
        response,
        events.ingestBatch(key, body, (cost) => auth.limit(key, cost), facts),
        (result) => send(response, result.status, result.body, result.retryAfterSeconds),
      );
      return;
    }
    auth.limit(key, 1);
    const type = path.slice(EVENTS_PATH.length + 1);
    answer(request, response, events.ingestOne(key, type, body, facts), (single) =>
      send(response, 202, single),
    );
  };

  /**
   * Answers with `ok` once `work` settles, or with the error of either: one reaction, run in
   * the request's context (the active one now), which does not follow the promise by itself.
   */
  const answer = <T>(
    request: IncomingMessage,
    response: ServerResponse,
    work: Promise<T>,
    ok: (value: T) => void,
  ): void => {
    const ctx = contextApi.active();
    work.then(
      (value) =>
        contextApi.with(ctx, () => {
          try {
            ok(value);
          } catch (error) {
            fail(request, response, error);
          }
        }),
      (error: unknown) => contextApi.with(ctx, () => fail(request, response, error)),
    );
  };

  /**
   * Authenticates, parses and serves a request whose body has arrived. No promise of its own:
   * a cached write key is checked at once, and the only promise is the produce's.
   */
  const handle = (
    request: IncomingMessage,
    response: ServerResponse,
    route: string,
    path: string,
    text: string,
  ): void => {
    // The key first: a caller without a valid one gets 401, and costs no parse.
    try {
      const key = auth.authenticate(request);
      if (key instanceof Promise)
        answer(request, response, key, (record) =>
          parseAndServe(request, response, route, path, text, record),
        );
      else parseAndServe(request, response, route, path, text, key);
    } catch (error) {
      fail(request, response, error);
    }
  };

  /**
   * Not a closure made per request: the bundle names every named closure as it is made
   * (esbuild's `keepNames`), a `defineProperty` per request that the profile showed.
   */
  const parseAndServe = (
    request: IncomingMessage,
    response: ServerResponse,
    route: string,
    path: string,
    text: string,
    key: WriteKeyRecord,
  ): void => {
    const parsed = parseJsonBody(text, options.maxJsonDepth);
    if (!parsed.ok) throw parsed.error;
    serve(request, response, route, path, parsed.value, key);
  };

  const fast = (
    request: IncomingMessage,
    response: ServerResponse,
    route: string,
    path: string,
    bodyBytes: number,
  ): void => {
    const started = process.hrtime.bigint();
    const parent: Context =
      request.headers.traceparent === undefined
        ? ROOT_CONTEXT
        : propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer.startSpan(
      `POST ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': 'POST', 'http.route': route, 'url.path': path },
      },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    tracker.enter();
    http.enter();
    // One `close` listener for everything counted until the response closes. `on`, not
    // `once`: a response closes once, and `once` wraps and then removes its listener, which
    // with the request's `end` cost about 0.7 µs a request.
    response.on('close', () => {
      shedding.leave(bodyBytes);
      tracker.leave();
      http.leave();
      const status = response.writableFinished ? response.statusCode : 499;
      http.record('POST', route, status, Number(process.hrtime.bigint() - started) / 1e9);
      if (span.isRecording()) {
        span.setAttribute('http.response.status_code', status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
    });
    contextApi.with(ctx, () => {
      // The request log line (and any other listener) runs in the request's trace context.
      for (const listener of listeners)
        if (listener !== fastifyHandler) listener(request, response);
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      // In the request's context: an emitter's callbacks run in the parser's async context,
      // and the produce must carry this request's trace context into the Kafka headers.
      // (`with` in a plain listener: `bind` would build and patch a wrapper per request.)
      request.on('end', () =>
        contextApi.with(ctx, () => {
          const decoded = utf8Body(
            chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
          );
          if (decoded.ok) handle(request, response, route, path, decoded.text);
          else fail(request, response, decoded.error);
        }),
      );
    });
  };

  // Fastify's own listener: the last one Nest's adapter registered before anything else.
  const fastifyHandler = listeners[0];
  const takeFast = (
    request: IncomingMessage,
    response: ServerResponse,
    plainLength: number | undefined,
    bodyBytes: number,
  ): boolean => {
    if (request.method !== 'POST') return false;
    const path = pathOf(request.url ?? '');
    const route = eventsRouteOf(path);
    if (route === undefined || !fastPathEligible(request, options.maxBodyBytes, plainLength))
      return false;
    fast(request, response, route, path, bodyBytes);
    return true;
  };
  /**
   * The front door of every request. API requests are admitted or refused here, before any
   * listener, span or log line: a refusal must cost far less than the work it saves. Then the
   * events routes take the fast path (whose `close` listener counts the request out) and the
   * rest go to Fastify. A draining gateway leaves every request to Fastify (DRAINING).
   */
  const frontDoor = (request: IncomingMessage, response: ServerResponse): boolean => {
    if (tracker.isDraining || !sheddable(request.url)) return false;
    // The head is read once, for the byte limit and the fast path's eligibility alike.
    const plainLength = plainBodyLength(request.headers);
    const bodyBytes = declaredBodyBytes(request.headers, options.maxBodyBytes, plainLength);
    const refused = shedding.enter(bodyBytes);
    if (refused !== undefined) {
      sendText(response, 503, shedding.refusalOf(refused), shedding.retryAfterSeconds);
      return true;
    }
    if (takeFast(request, response, plainLength, bodyBytes)) return true;
    response.on('close', () => shedding.leave(bodyBytes));
    return false;
  };
  // Taken before the server's `emit`, which the HTTP instrumentation wraps: for a request it
  // leaves untraced it still binds the request's and the response's emitters to a context,
  // patching their listener methods, which cost more CPU than this path's own work.
  const instrumentedEmit = server.emit;
  server.emit = function emit(this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'request' && frontDoor(args[0] as IncomingMessage, args[1] as ServerResponse)) {
      return true;
    }
    return instrumentedEmit.apply(this, [event, ...args] as Parameters<Server['emit']>);
  } as Server['emit'];
}
