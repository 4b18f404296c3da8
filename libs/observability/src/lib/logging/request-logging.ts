import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { context as contextApi } from '@opentelemetry/api';
import type { Logger } from 'pino';

export interface RequestLoggingOptions {
  /** Paths logged at `debug` instead of `info` (probes and scrapes). */
  readonly quietPaths?: readonly string[];
  /**
   * Share (0 to 1) of successful requests (status below 400) logged at `info`; the others go
   * to `debug`. Errors and aborted requests are always logged. Default 1: every request.
   */
  readonly successSampleRate?: number;
  /** Random source for the sampling (tests). Default `Math.random`. */
  readonly random?: () => number;
}

/**
 * Logs one line per HTTP request once the response is done: `method`, `url` (the path only:
 * a query string may carry keys), `status`, `latency_ms`. Never headers, never bodies.
 * It listens on the Node server itself, so it works under Fastify and Express, sees 404s,
 * and runs inside the request's trace context (the HTTP instrumentation binds it).
 * Returns a function that detaches the listener.
 */
export function attachRequestLogging(
  server: Server,
  logger: Logger,
  options: RequestLoggingOptions = {},
): () => void {
  const quiet = new Set(options.quietPaths ?? []);
  const sampleRate = options.successSampleRate ?? 1;
  const random = options.random ?? Math.random;
  const onRequest = (request: IncomingMessage, response: ServerResponse): void => {
    const started = process.hrtime.bigint();
    const ctx = contextApi.active();
    const rawUrl = request.url ?? '';
    const query = rawUrl.indexOf('?');
    const url = query === -1 ? rawUrl : rawUrl.slice(0, query);
    // `close` comes once for every response, sent in full or not: one listener, no flag, and
    // `on` rather than `once`, whose wrapper and removal cost more than this listener's work.
    response.on('close', () => {
      const aborted = !response.writableFinished;
      const status = response.statusCode;
      const level =
        quiet.has(url) || (status < 400 && !aborted && !(sampleRate >= 1 || random() < sampleRate))
          ? 'debug'
          : status >= 500
            ? 'warn'
            : 'info';
      // Most successful requests are not logged at all: build nothing for them.
      if (!logger.isLevelEnabled(level)) return;
      const latencyMs = Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100;
      const fields = {
        event: 'http.request',
        method: request.method,
        url,
        status,
        latency_ms: latencyMs,
        ...(aborted ? { aborted: true } : {}),
      };
      contextApi.with(ctx, () =>
        logger[level](fields, `${request.method ?? '?'} ${url} ${status}`),
      );
    });
  };
  server.on('request', onRequest);
  return () => {
    server.off('request', onRequest);
  };
}
