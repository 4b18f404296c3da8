import { RegistryError } from '../errors/registry.error';

/** A path schema id: a positive 32-bit integer, or 40403 (a malformed id names no schema). */
export function schemaIdOrThrow(raw: string): number {
  const id = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id) || id < 1 || id > 2 ** 31 - 1) throw RegistryError.schemaNotFound();
  return id;
}
