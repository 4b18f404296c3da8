import { isCompatibilityLevel, type CompatibilityLevel } from '@platform/schema-registry';
import { z } from 'zod';
import { RegistryError } from '../errors/registry.error';

/** `POST /subjects/{s}/versions`, `POST /subjects/{s}` and the compatibility check. */
export interface SchemaRequest {
  readonly schema: string;
}

// Confluent clients send more (id, version, metadata, ruleSet); unknown keys are ignored.
const schemaRequestSchema = z.object({
  schema: z.string().optional(),
  schemaType: z.string().nullable().optional(),
  references: z.array(z.unknown()).nullable().optional(),
});

const configRequestSchema = z.object({ compatibility: z.string() });

function requireObject(body: unknown): void {
  if (body === undefined || body === null)
    throw RegistryError.invalidBody('a JSON object is required');
  if (typeof body !== 'object' || Array.isArray(body))
    throw RegistryError.invalidBody('expected a JSON object');
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.join('.') || '<root>'}: ${issue.message}`)
    .join('; ');
}

/** The body of a schema request, or the Confluent error (42201 for what is wrong with the schema). */
export function parseSchemaRequest(body: unknown): SchemaRequest {
  requireObject(body);
  const parsed = schemaRequestSchema.safeParse(body);
  if (!parsed.success) throw RegistryError.invalidBody(describeIssues(parsed.error));
  const { schema, schemaType, references } = parsed.data;
  if (schema === undefined || schema.trim() === '')
    throw RegistryError.invalidSchema('Empty schema');
  if (schemaType !== undefined && schemaType !== null && schemaType.toUpperCase() !== 'AVRO') {
    throw RegistryError.invalidSchema(
      `schema type '${schemaType}' is not supported; this registry stores AVRO only`,
    );
  }
  if (references && references.length > 0)
    throw RegistryError.invalidSchema('schema references are not supported');
  return { schema };
}

/** A compatibility level, case-insensitive as Confluent accepts it, or 42203. */
export function parseCompatibilityLevel(raw: unknown): CompatibilityLevel {
  const upper = typeof raw === 'string' ? raw.trim().toUpperCase() : raw;
  if (!isCompatibilityLevel(upper)) throw RegistryError.invalidCompatibilityLevel(raw);
  return upper;
}

/** `PUT /config` and `PUT /config/{s}`. */
export function parseConfigRequest(body: unknown): CompatibilityLevel {
  requireObject(body);
  const parsed = configRequestSchema.safeParse(body);
  if (!parsed.success) throw RegistryError.invalidCompatibilityLevel(undefined);
  return parseCompatibilityLevel(parsed.data.compatibility);
}
