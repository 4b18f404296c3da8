import { createHash } from 'node:crypto';

/** sha256 of the canonical schema, hex: the unique key that gives one schema one id. */
export function fingerprintOf(canonical: string): string {
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
