import type { FastifyInstance } from 'fastify';
import { RegistryError } from '../errors/registry.error';
import { ACCEPTED_CONTENT_TYPES } from './content-types';

export type JsonBodyResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: string };

/** An empty body is no body (a DELETE sent with a content type); anything else must be JSON. */
export function parseJsonBody(text: string): JsonBodyResult {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return {
      ok: false,
      reason: `invalid JSON: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

/**
 * Replaces Fastify's parsers: Confluent clients send JSON as `application/vnd.schemaregistry.v1+json`
 * (or octet-stream), which Fastify would refuse with a 415. A malformed body fails with a
 * {@link RegistryError}, which Nest hands to the exception filter like any other.
 */
export function registerJsonBodyParsers(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.removeAllContentTypeParsers();
  const parse = (body: string | Buffer, done: (error: Error | null, value?: unknown) => void) => {
    const result = parseJsonBody(typeof body === 'string' ? body : body.toString('utf8'));
    if (result.ok) done(null, result.value);
    else done(RegistryError.malformedBody(result.reason), undefined);
  };
  fastify.addContentTypeParser(
    [...ACCEPTED_CONTENT_TYPES],
    { parseAs: 'string', bodyLimit },
    (_r, body, done) => parse(body, done),
  );
  // A body without a content type is JSON, as in Confluent (its default request type is
  // octet-stream, read as JSON); any other type stays a 415.
  fastify.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (request, body, done) => {
    const type = request.headers['content-type'];
    if (type === undefined || type.trim() === '') parse(body, done);
    else done(RegistryError.unsupportedMediaType(type), undefined);
  });
}
