import { AVRO_PRIMITIVES } from './avro-types';

/**
 * The identity of an Avro schema, as Confluent compares them: Avro's Parsing Canonical Form
 * (full names, no namespace attribute, primitives written as their name, a fixed key order,
 * no whitespace) plus the attributes Confluent keeps because they change what a schema means
 * to its readers: `doc`, `default`, `aliases`, `order`, logical types and their parameters, and
 * any other custom property. So `{"type": "string"}` and `"string"` are one schema, and so are
 * `{"name": "a.b.R"}` and `{"name": "R", "namespace": "a.b"}`; a different `doc` is not.
 * An attribute written with the value it has when absent (`"doc": null`, `"aliases": []`, a
 * field's `"order": "ascending"`) is left out, as Avro's Java parser (and so Confluent) reads it.
 *
 * Pure; expects JSON that avsc already accepted as a schema.
 */
export function avroCanonicalForm(schema: unknown): string {
  return JSON.stringify(canonical(schema, '', new Set()));
}

const NAMED = new Set(['record', 'error', 'enum', 'fixed']);
/** Parsing Canonical Form's order; kept attributes follow, sorted by name. */
const PCF_ORDER = ['name', 'type', 'fields', 'symbols', 'items', 'values', 'size'];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function fullName(name: string, namespace: string): string {
  return name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;
}

function namespaceOf(full: string): string {
  const at = full.lastIndexOf('.');
  return at < 0 ? '' : full.slice(0, at);
}

function canonical(schema: unknown, namespace: string, seen: Set<string>): Json {
  if (typeof schema === 'string') {
    return AVRO_PRIMITIVES.has(schema) ? schema : fullName(schema, namespace);
  }
  if (Array.isArray(schema)) return schema.map((branch) => canonical(branch, namespace, seen));
  if (schema === null || typeof schema !== 'object') return schema as Json;
  const object = schema as Record<string, unknown>;
  const type = object['type'];
  if (
    typeof type !== 'string' ||
    !(AVRO_PRIMITIVES.has(type) || NAMED.has(type) || type === 'array' || type === 'map')
  ) {
    // `{"type": {...}}` or `{"type": "a.Named"}`: the wrapped schema, plus any attributes.
    const inner = canonical(type, namespace, seen);
    return withAttributes(inner, object, ['type']);
  }
  const out: Record<string, Json> = {};
  let scope = namespace;
  if (NAMED.has(type)) {
    const explicit = typeof object['namespace'] === 'string' ? object['namespace'] : namespace;
    const name = fullName(String(object['name']), explicit);
    if (seen.has(name)) return name;
    seen.add(name);
    scope = namespaceOf(name);
    out['name'] = name;
  }
  out['type'] = type;
  if (type === 'record' || type === 'error') {
    out['fields'] = ((object['fields'] as unknown[]) ?? []).map((field) => {
      const f = field as Record<string, unknown>;
      const result: Record<string, Json> = {
        name: String(f['name']),
        type: canonical(f['type'], scope, seen),
      };
      return sortedAttributes(result, f, ['name', 'type'], scope, true);
    });
  }
  if (type === 'enum') out['symbols'] = object['symbols'] as Json;
  if (type === 'array') out['items'] = canonical(object['items'], scope, seen);
  if (type === 'map') out['values'] = canonical(object['values'], scope, seen);
  if (type === 'fixed') out['size'] = object['size'] as Json;
  const handled = ['name', 'namespace', 'type', 'fields', 'symbols', 'items', 'values', 'size'];
  const result = sortedAttributes(out, object, handled, scope);
  // A primitive with nothing kept beside it is written as its name.
  return AVRO_PRIMITIVES.has(type) && Object.keys(result).length === 1 ? type : result;
}

/**
 * `base` plus every attribute of `source` not in `skip`, sorted by name; aliases as full names.
 * `ofField`: `source` is a record's field.
 */
function sortedAttributes(
  base: Record<string, Json>,
  source: Record<string, unknown>,
  skip: readonly string[],
  namespace: string,
  ofField = false,
): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const key of PCF_ORDER) if (key in base) out[key] = base[key] as Json;
  for (const key of Object.keys(source)
    .filter((k) => !skip.includes(k) && !PCF_ORDER.includes(k))
    .sort()) {
    const value = source[key];
    if (isAbsentValue(key, value, ofField)) continue;
    out[key] =
      key === 'aliases' && Array.isArray(value)
        ? value.map((alias) => fullName(String(alias), namespace))
        : sortKeys(value);
  }
  return out;
}

/**
 * An attribute that means what its absence means. `order` is a field's attribute only; on
 * a type it is a custom property, kept as written.
 */
function isAbsentValue(key: string, value: unknown, ofField: boolean): boolean {
  if (key === 'doc') return value === null;
  if (key === 'aliases') return Array.isArray(value) && value.length === 0;
  if (key === 'order') return ofField && value === 'ascending';
  return false;
}

function withAttributes(
  inner: Json,
  source: Record<string, unknown>,
  skip: readonly string[],
): Json {
  const extra = Object.keys(source).filter((k) => !skip.includes(k));
  if (extra.length === 0) return inner;
  const base: Record<string, Json> =
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? { ...inner }
      : { type: inner };
  return sortedAttributes(base, source, [...skip, ...Object.keys(base)], '');
}

function sortKeys(value: unknown): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const key of Object.keys(value).sort())
      out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value as Json;
}
