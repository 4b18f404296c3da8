import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { EventProcessor } from './chain';
import { parseOptions, requireStringField } from './options';
import { ProcessorConfigError, type ProcessorSetup } from './registry';

const optionsSchema = z.strictObject({
  /** The string fields to replace by their keyed hash. */
  fields: z.array(z.string()).min(1),
  /** The environment variable holding the hashing key. */
  key_env: z.string().default('PII_HASH_KEY'),
});

/**
 * `pii-hash`: replaces personal fields by HMAC-SHA256 (hex) under a secret key, before the
 * event is validated, stored or dead-lettered. The same value always gives the same hash, so
 * counts, distinct counts and joins by that field still work; without the key the hashes
 * cannot be matched against a list of known values.
 */
export function piiHash(setup: ProcessorSetup): EventProcessor {
  const options = parseOptions(optionsSchema, setup.options);
  const fields = options.fields.filter((f) => setup.fields.has(f));
  for (const field of fields) requireStringField(setup, field, 'options.fields');
  if (fields.length === 0) {
    throw new ProcessorConfigError(
      `options.fields: ${setup.eventType.name} has none of ${options.fields.join(', ')}`,
    );
  }
  const key = setup.env[options.key_env];
  if (key === undefined || key.length < 16) {
    throw new ProcessorConfigError(
      `${options.key_env} must hold the hashing key (at least 16 characters)`,
    );
  }
  return {
    name: 'pii-hash',
    process(context, next) {
      for (const field of fields) {
        const value = context.event[field];
        if (typeof value === 'string')
          context.event[field] = createHmac('sha256', key).update(value).digest('hex');
      }
      return next(context);
    },
  };
}
