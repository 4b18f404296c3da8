import { RegistryError } from '../errors/registry.error';

/** A version in a path: a number, or the subject's newest live version. */
export type VersionId = number | 'latest';

const MAX_VERSION = 2 ** 31 - 1;

/** `"latest"`, `"-1"` (Confluent's alias of latest) or an integer in [1, 2^31-1]; `null` otherwise. */
export function parseVersionId(raw: string): VersionId | null {
  if (raw === 'latest' || raw === '-1') return 'latest';
  if (!/^\d{1,10}$/.test(raw)) return null;
  const n = Number(raw);
  return n >= 1 && n <= MAX_VERSION ? n : null;
}

/** {@link parseVersionId}, or 42202. */
export function versionIdOrThrow(raw: string): VersionId {
  const version = parseVersionId(raw);
  if (version === null) throw RegistryError.invalidVersion(raw);
  return version;
}
