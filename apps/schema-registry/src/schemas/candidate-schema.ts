import { parseSchema } from '@platform/schema-registry';
import { RegistryError } from '../errors/registry.error';
import { fingerprintOf } from '../persistence/fingerprint';
import type { NewSchema } from '../persistence/registry.store';

/** Parses schema text from a request: its canonical form and fingerprint, or 42201 with avsc's reason. */
export function candidateSchema(schemaText: string): NewSchema {
  const parsed = parseSchema(schemaText);
  if (!parsed.ok) throw RegistryError.invalidSchema(parsed.reason);
  return { schemaText, canonical: parsed.canonical, fingerprint: fingerprintOf(parsed.canonical) };
}

/** Confluent omits `schemaType` for AVRO, its default. */
export function schemaTypeField(schemaType: string): { schemaType?: string } {
  return schemaType === 'AVRO' ? {} : { schemaType };
}
