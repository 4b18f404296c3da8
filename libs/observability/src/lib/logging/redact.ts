import { REDACTED, scrubSecrets } from '@platform/secret-scrub';

export { REDACTED, scrubSecrets };

/** Keys whose values never reach a log, whatever their content. */
const SECRET_KEY =
  /^(password|passwd|secret|token|sasl|ssl|key|cert|ca|credentials?|authorization|cookie|api_?key|accesskeyid|secretaccesskey|sessiontoken)$/i;

/**
 * A deep copy of `value`, safe to log: secret-named keys and known secret strings replaced,
 * errors and buffers reduced to summaries, nesting cut off below six levels.
 */
export function redactSecrets(value: unknown, secrets: readonly string[] = [], depth = 0): unknown {
  if (typeof value === 'string') return scrubSecrets(value, secrets);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6) return '[Truncated]';
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, secrets, depth + 1));
  if (Buffer.isBuffer(value)) return `<Buffer ${value.length} bytes>`;
  if (value instanceof Error) {
    return { name: value.name, message: scrubSecrets(value.message, secrets) };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) ? REDACTED : redactSecrets(v, secrets, depth + 1);
  }
  return out;
}

/**
 * Keys whose values never reach a log line, whatever a caller passes in, matched at any level
 * up to {@link REDACT_DEPTH} and without regard to case (`Authorization`, `authorization`).
 * Narrower than {@link SECRET_KEY}, which is for client configurations: a line's `key` or `ca`
 * is an ordinary field (a record's key), kept.
 */
export const REDACTED_KEYS: ReadonlySet<string> = new Set([
  'password',
  'token',
  'secret',
  'authorization',
  'cookie',
  'apikey',
  'api_key',
  'x-write-key',
  'x-api-key',
]);

/** Levels of nesting searched (`req.headers.authorization` is the third). */
const REDACT_DEPTH = 4;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * `value` with the value of every secret-named key replaced, in plain objects, arrays and
 * errors (pino's error serializer writes an error's own properties and its `cause`). Only what
 * lies on the way to a secret is copied: anything else is returned as it is.
 */
function withoutSecrets(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object' || depth > REDACT_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const safe = withoutSecrets(value[i], depth + 1);
      if (safe !== value[i]) (copy ??= [...value])[i] = safe;
    }
    return copy ?? value;
  }
  if (value instanceof Error) return errorWithoutSecrets(value, depth);
  return isPlainObject(value) ? withoutSecretKeys(value, depth) : value;
}

/** What a field named `key` at `depth` may log: its value, without secrets, or `REDACTED`. */
function safeValue(key: string, value: unknown, depth: number): unknown {
  return REDACTED_KEYS.has(key.toLowerCase()) ? REDACTED : withoutSecrets(value, depth + 1);
}

/** An error's copy, of the same class, message and stack, when one of its fields held a secret. */
function errorWithoutSecrets(error: Error, depth: number): Error {
  let descriptors: PropertyDescriptorMap | undefined;
  // `cause` is an own property that is not enumerable; the serializer writes it all the same.
  for (const key of [...Object.keys(error), 'cause']) {
    if (!Object.hasOwn(error, key)) continue;
    const value = (error as unknown as Record<string, unknown>)[key];
    const safe = safeValue(key, value, depth);
    if (safe === value) continue;
    descriptors ??= Object.getOwnPropertyDescriptors(error);
    const enumerable = descriptors[key]?.enumerable ?? true;
    descriptors[key] = { value: safe, enumerable, writable: true, configurable: true };
  }
  return descriptors === undefined
    ? error
    : (Object.create(Object.getPrototypeOf(error) as object, descriptors) as Error);
}

/**
 * A line's fields with the value of every secret-named key replaced, at any level up to
 * {@link REDACT_DEPTH} of plain objects, arrays and errors. Only what lies on the way to a secret
 * is copied, so a line without one (nearly every line) is passed as it is: one walk over its
 * keys, where pino's path redaction, with the wildcards it needs to reach nested keys, cost
 * about 20 µs a line (seven times plain pino's line; tools/bench/src/logger.bench.ts).
 */
export function withoutSecretKeys(
  fields: Record<string, unknown>,
  depth = 0,
): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    const safe = safeValue(key, value, depth);
    if (safe !== value) {
      copy ??= { ...fields };
      copy[key] = safe;
    }
  }
  return copy ?? fields;
}
