import type { FastifyInstance } from 'fastify';
import { isUtf8 } from 'node:buffer';
import { GatewayError } from './gateway.error';

/**
 * A body's bytes as text, refused unless they are UTF-8 (JSON is UTF-8, RFC 8259): decoded
 * leniently, an invalid byte would become U+FFFD and be stored as if it had been sent.
 */
export function utf8Body(
  body: Buffer,
): { ok: true; text: string } | { ok: false; error: GatewayError } {
  if (isUtf8(body)) return { ok: true, text: body.toString('utf8') };
  return {
    ok: false,
    error: new GatewayError(400, 'MALFORMED_JSON', 'the request body is not valid UTF-8'),
  };
}

/** Whether a content type names no charset, or UTF-8 (JSON's only encoding). */
export function utf8Charset(contentType: string): boolean {
  const match = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(contentType);
  if (match === null) return true;
  const charset = (match[1] ?? '').toLowerCase();
  return charset === 'utf-8' || charset === 'utf8';
}

/**
 * Nesting depth of a JSON text, by a linear scan that skips strings, so a hostile body
 * (100,000 nested arrays) is refused before JSON.parse or anything recursive sees it.
 * Returns the depth, or stops early once `limit` is exceeded. Strings, most of an events
 * body, are skipped with `indexOf` to their closing quote rather than a character at a time.
 */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      let end = text.indexOf('"', i + 1);
      while (end !== -1 && escaped(text, end)) end = text.indexOf('"', end + 1);
      // Unterminated: no bracket after it counts, and JSON.parse refuses the text.
      if (end === -1) return max;
      i = end;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return max;
}

/**
 * Whether the text holds at most `limit` opening brackets, strings included: then it cannot
 * nest deeper than `limit`, and the scan of {@link jsonDepth} is not needed. Counted with
 * `indexOf`, a few native calls for a single event's body.
 */
export function bracketsAtMost(text: string, limit: number): boolean {
  let count = 0;
  for (let i = text.indexOf('{'); i !== -1; i = text.indexOf('{', i + 1))
    if (++count > limit) return false;
  for (let i = text.indexOf('['); i !== -1; i = text.indexOf('[', i + 1))
    if (++count > limit) return false;
  return true;
}

/** Whether the quote at `at` is escaped: preceded by an odd number of backslashes. */
function escaped(text: string, at: number): boolean {
  let backslashes = 0;
  for (let i = at - 1; i >= 0 && text.charCodeAt(i) === 92 /* \\ */; i--) backslashes++;
  return backslashes % 2 === 1;
}

const ENVELOPE_OPENING = '{"events":';

/**
 * `JSON.parse`, with the events envelope as clients serialize it (`{"events":[...]}`) built
 * from its parsed member. V8 shapes every object `JSON.parse` builds from a per-size root
 * map; in a process as large as the gateway, the root of one-member objects has used up its
 * transitions, so each envelope parsed whole got a hidden class of its own: a map allocated
 * per request, and the envelope's checks missing their caches. The member parses to the same
 * value either way: `{"events":` + X + `}` is valid JSON exactly when X is, and means
 * `{ events: X }`; anything else is parsed whole, so its error is the whole text's.
 */
export function parseJson(text: string): unknown {
  if (text.startsWith(ENVELOPE_OPENING) && text.endsWith('}')) {
    let events: unknown;
    try {
      events = JSON.parse(text.slice(ENVELOPE_OPENING.length, -1));
    } catch {
      return JSON.parse(text);
    }
    return { events };
  }
  return JSON.parse(text);
}

export type ParseResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: GatewayError };

/** Pure: a request body as JSON, or the reason it is not acceptable. */
export function parseJsonBody(text: string, maxDepth: number): ParseResult {
  if (text.trim() === '') {
    return {
      ok: false,
      error: new GatewayError(400, 'MALFORMED_JSON', 'the request body is empty; expected JSON'),
    };
  }
  if (!bracketsAtMost(text, maxDepth) && jsonDepth(text, maxDepth) > maxDepth) {
    return {
      ok: false,
      error: new GatewayError(
        400,
        'TOO_DEEP',
        `the JSON body is nested deeper than ${maxDepth} levels`,
      ),
    };
  }
  try {
    return { ok: true, value: parseJson(text) };
  } catch (err) {
    return {
      ok: false,
      error: new GatewayError(
        400,
        'MALFORMED_JSON',
        `malformed JSON: ${err instanceof Error ? err.message : String(err)}`,
      ),
    };
  }
}

/** JSON media types the gateway reads; anything else is 415. */
export const JSON_MEDIA_TYPES = ['application/json', 'text/plain'] as const;

/** Routes where `text/plain` is read as JSON (documented in the OpenAPI): the events routes. */
export function textPlainAllowed(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return path === '/v1/events' || path.startsWith('/v1/events/');
}

/**
 * Replaces Fastify's parsers with one strict JSON parser (bounded size and depth).
 * `text/plain` is accepted as JSON on the events routes only, because browsers'
 * `navigator.sendBeacon` cannot set `application/json` without a CORS preflight.
 */
export function registerJsonParser(
  fastify: FastifyInstance,
  bodyLimit: number,
  maxDepth: number,
): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    [...JSON_MEDIA_TYPES],
    { parseAs: 'buffer', bodyLimit },
    (request, body, done) => {
      const contentType = request.headers['content-type'] ?? '';
      if (!utf8Charset(contentType)) {
        done(
          new GatewayError(
            415,
            'UNSUPPORTED_MEDIA_TYPE',
            `JSON is read as UTF-8 only; got ${contentType}`,
          ),
          undefined,
        );
        return;
      }
      if (contentType.toLowerCase().startsWith('text/plain') && !textPlainAllowed(request.url)) {
        done(
          new GatewayError(
            415,
            'UNSUPPORTED_MEDIA_TYPE',
            'text/plain is read as JSON only on /v1/events routes; send application/json',
          ),
          undefined,
        );
        return;
      }
      // `parseAs: 'buffer'`: Fastify's type also allows the string it would give for 'string'.
      const decoded = utf8Body(body as Buffer);
      if (!decoded.ok) {
        done(decoded.error, undefined);
        return;
      }
      const result = parseJsonBody(decoded.text, maxDepth);
      if (result.ok) done(null, result.value);
      else done(result.error, undefined);
    },
  );
}
