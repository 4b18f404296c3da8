import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { errorBody, GatewayError } from './gateway.error';

/**
 * The gateway's answer to a request Node's HTTP parser refused before any route saw it (a
 * timeout, headers over Node's limit, bytes that are not HTTP/1.1), in the gateway's error
 * shape instead of Fastify's own.
 */
export function clientErrorOf(error: NodeJS.ErrnoException & { reason?: string }): GatewayError {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return new GatewayError(
      408,
      'REQUEST_TIMEOUT',
      'the request did not arrive in time (GATEWAY_HEADERS_TIMEOUT_MS, GATEWAY_REQUEST_TIMEOUT_MS)',
    );
  if (error.code === 'HPE_HEADER_OVERFLOW')
    return new GatewayError(431, 'HEADERS_TOO_LARGE', 'the request headers are too large');
  const why = error.reason ?? error.message;
  return new GatewayError(
    400,
    'MALFORMED_HTTP',
    `the request is not valid HTTP/1.1${error.code === undefined ? '' : ` (${error.code}${why ? `: ${why}` : ''})`}`,
  );
}

/** Fastify's `clientErrorHandler`: answers with {@link clientErrorOf}, then closes the socket. */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const refusal = clientErrorOf(error);
    const body = JSON.stringify(errorBody(refusal));
    socket.write(
      `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(error);
}

/** Fastify's `frameworkErrors`: a URL the router cannot decode is 400 `BAD_URL`. */
export function answerFrameworkError(
  error: Error,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const refusal = new GatewayError(
    400,
    'BAD_URL',
    `the request URL is not valid: ${error.message}`,
  );
  void reply.code(refusal.status).send(errorBody(refusal));
}
