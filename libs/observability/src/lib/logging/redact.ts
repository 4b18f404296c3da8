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
