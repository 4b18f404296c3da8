import * as avro from 'avsc';
import { AVRO_PRIMITIVES, errorMessage, forSchema, isLongTypeName } from './avro-types';
import { avroCanonicalForm } from './canonical-form';

export const COMPATIBILITY_LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

export const isCompatibilityLevel = (value: unknown): value is CompatibilityLevel =>
  typeof value === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(value);

export interface CompatibilityResult {
  readonly compatible: boolean;
  readonly messages: readonly string[];
}

export type ParsedSchema =
  | { readonly ok: true; readonly type: avro.Type; readonly canonical: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Parses schema text. `reason` is the JSON or avsc parser message, meant to be returned to
 * the client as is (the registry answers 42201 with it). `canonical` is the schema's identity,
 * {@link avroCanonicalForm}: two texts that parse to the same schema share it.
 */
export function parseSchema(text: string): ParsedSchema {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${errorMessage(err)}` };
  }
  try {
    return { ok: true, type: forSchema(json), canonical: avroCanonicalForm(json) };
  } catch (err) {
    return { ok: false, reason: errorMessage(err) };
  }
}

type Direction = 'backward' | 'forward';

interface LevelRule {
  readonly directions: readonly Direction[];
  readonly transitive: boolean;
}

const RULES: Record<CompatibilityLevel, LevelRule> = {
  NONE: { directions: [], transitive: false },
  BACKWARD: { directions: ['backward'], transitive: false },
  BACKWARD_TRANSITIVE: { directions: ['backward'], transitive: true },
  FORWARD: { directions: ['forward'], transitive: false },
  FORWARD_TRANSITIVE: { directions: ['forward'], transitive: true },
  FULL: { directions: ['backward', 'forward'], transitive: false },
  FULL_TRANSITIVE: { directions: ['backward', 'forward'], transitive: true },
};

/**
 * Checks a candidate schema against the previous versions of its subject (oldest first) by
 * Avro's schema resolution rules:
 * - BACKWARD: the candidate can read data written with the latest (transitive: every)
 *   previous schema;
 * - FORWARD: the latest (transitive: every) previous schema can read data written with the
 *   candidate;
 * - FULL: both.
 * Messages name the field, the rule, the level and the version, e.g.
 * `reader field "coupon" has no default and is missing from the writer schema (BACKWARD, against version 2)`.
 */
export function checkCompatibility(
  candidate: string,
  previous: readonly string[],
  level: CompatibilityLevel,
): CompatibilityResult {
  const rule = RULES[level];
  const parsedCandidate = parseSchema(candidate);
  if (!parsedCandidate.ok) {
    return {
      compatible: false,
      messages: [`candidate schema is invalid: ${parsedCandidate.reason}`],
    };
  }
  if (rule.directions.length === 0 || previous.length === 0)
    return { compatible: true, messages: [] };

  const firstChecked = rule.transitive ? 0 : previous.length - 1;
  const messages: string[] = [];
  for (let i = previous.length - 1; i >= firstChecked; i--) {
    const version = i + 1;
    const parsedPrevious = parseSchema(previous[i] ?? '');
    if (!parsedPrevious.ok) {
      messages.push(`version ${version} is not a valid schema: ${parsedPrevious.reason}`);
      continue;
    }
    for (const direction of rule.directions) {
      const label = rule.directions.length > 1 ? `${level}, ${direction.toUpperCase()}` : level;
      const [reader, writer] =
        direction === 'backward'
          ? [parsedCandidate.type, parsedPrevious.type]
          : [parsedPrevious.type, parsedCandidate.type];
      for (const problem of readProblems(reader, writer)) {
        messages.push(`${problem} (${label}, against version ${version})`);
      }
    }
  }
  return { compatible: messages.length === 0, messages };
}

/**
 * Why `reader` cannot read data written with `writer`; empty when it can. Our own walk of the
 * two schemas gives messages that name the field and the rule; avsc's resolver is the
 * backstop, so nothing avsc would refuse at read time can pass.
 */
export function readProblems(reader: avro.Type, writer: avro.Type): string[] {
  const problems = walk(reader, writer, '', new Set());
  if (problems.length === 0) {
    try {
      reader.createResolver(writer, { ignoreNamespaces: true });
    } catch (err) {
      problems.push(`reader schema cannot read the writer schema: ${errorMessage(err)}`);
    }
  }
  return problems;
}

/** Avro's promotions: the writer's type (key) may be read as any of these reader types. */
const PROMOTIONS: Readonly<Record<string, readonly string[]>> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
};

function walk(readerIn: avro.Type, writerIn: avro.Type, path: string, seen: Set<string>): string[] {
  // Logical types resolve as their underlying types.
  const reader = unwrapLogical(readerIn);
  const writer = unwrapLogical(writerIn);
  const at = path === '' ? '' : `field "${path}": `;

  if (isUnion(writer)) {
    // Every branch the writer may have used must be readable.
    return writer.types.flatMap((branch) => {
      const inner = walk(reader, branch, path, seen);
      return inner.length === 0
        ? []
        : isUnion(reader)
          ? inner
          : [`${at}writer union branch ${show(branch)} cannot be read as ${show(reader)}`];
    });
  }
  if (isUnion(reader)) {
    const readable = reader.types.some(
      (branch) => walk(branch, writer, path, new Set(seen)).length === 0,
    );
    return readable
      ? []
      : [`${at}writer type ${show(writer)} matches no branch of the reader union ${show(reader)}`];
  }

  const r = typeNameOf(reader);
  const w = typeNameOf(writer);
  if (r !== w) {
    if (PROMOTIONS[w]?.includes(r)) return [];
    const rule =
      AVRO_PRIMITIVES.has(r) && AVRO_PRIMITIVES.has(w)
        ? 'is not a legal Avro promotion'
        : 'types differ';
    return [
      `${at}writer type ${show(writer)} cannot be read as reader type ${show(reader)} (${rule})`,
    ];
  }

  switch (r) {
    case 'record':
    case 'error':
      return walkRecord(
        reader as avro.types.RecordType,
        writer as avro.types.RecordType,
        path,
        seen,
      );
    case 'enum':
      return walkEnum(reader as avro.types.EnumType, writer as avro.types.EnumType, at);
    case 'fixed': {
      const problems = nameProblems(reader, writer, at);
      const rs = (reader as avro.types.FixedType).size;
      const ws = (writer as avro.types.FixedType).size;
      if (rs !== ws)
        problems.push(
          `${at}fixed ${show(reader)} has size ${rs} in the reader and ${ws} in the writer`,
        );
      return problems;
    }
    case 'array':
      return walk(
        (reader as avro.types.ArrayType).itemsType,
        (writer as avro.types.ArrayType).itemsType,
        path === '' ? '[]' : `${path}[]`,
        seen,
      );
    case 'map':
      return walk(
        (reader as avro.types.MapType).valuesType as avro.Type,
        (writer as avro.types.MapType).valuesType as avro.Type,
        path === '' ? '{}' : `${path}{}`,
        seen,
      );
    default:
      return [];
  }
}

function walkRecord(
  reader: avro.types.RecordType,
  writer: avro.types.RecordType,
  path: string,
  seen: Set<string>,
): string[] {
  const at = path === '' ? '' : `field "${path}": `;
  const problems = nameProblems(reader, writer, at);
  if (problems.length > 0) return problems;
  // Recursive schemas: a pair already being compared is assumed compatible.
  const key = `${reader.name ?? ''}\u0000${writer.name ?? ''}`;
  if (seen.has(key)) return [];
  const inner = new Set(seen).add(key);

  const writerFields = new Map(writer.fields.map((f) => [f.name, f]));
  for (const field of reader.fields) {
    const fieldPath = path === '' ? field.name : `${path}.${field.name}`;
    const names = [field.name, ...(field.aliases ?? [])];
    const matches = names.filter((n, i) => writerFields.has(n) && names.indexOf(n) === i);
    if (matches.length > 1) {
      problems.push(
        `reader field "${fieldPath}" matches several writer fields through its aliases (${matches
          .map((m) => `"${m}"`)
          .join(', ')})`,
      );
      continue;
    }
    const match = matches[0];
    if (match === undefined) {
      if (field.defaultValue() === undefined) {
        problems.push(
          `reader field "${fieldPath}" has no default and is missing from the writer schema`,
        );
      }
      continue;
    }
    const writerField = writerFields.get(match);
    if (writerField) problems.push(...walk(field.type, writerField.type, fieldPath, inner));
  }
  return problems;
}

function walkEnum(reader: avro.types.EnumType, writer: avro.types.EnumType, at: string): string[] {
  const problems = nameProblems(reader, writer, at);
  if (problems.length > 0) return problems;
  const readerSymbols = new Set(reader.symbols);
  const missing = writer.symbols.filter((s) => !readerSymbols.has(s));
  const readerDefault = (reader as avro.types.EnumType & { readonly default?: string }).default;
  if (missing.length > 0 && readerDefault === undefined) {
    problems.push(
      `${at}writer enum symbol(s) ${missing.map((s) => `"${s}"`).join(', ')} missing from reader enum ${show(
        reader,
      )}, which has no default`,
    );
  }
  return problems;
}

/** Named types match on their unqualified name, or through one of the reader's aliases. */
function nameProblems(reader: avro.Type, writer: avro.Type, at: string): string[] {
  if (reader.name === undefined || writer.name === undefined) return [];
  const writerName = unqualify(writer.name);
  const readerNames = [reader.name, ...(reader.aliases ?? [])].map(unqualify);
  if (readerNames.includes(writerName)) return [];
  return [
    `${at}writer ${writer.typeName} "${writer.name}" does not match reader ${reader.typeName} "${reader.name}" (names differ and no reader alias matches)`,
  ];
}

const typeNameOf = (type: avro.Type): string =>
  isLongTypeName(type.typeName) ? 'long' : type.typeName;

const unqualify = (name: string): string => name.slice(name.lastIndexOf('.') + 1);

function unwrapLogical(type: avro.Type): avro.Type {
  return avro.Type.isType(type, 'logical') ? (type as avro.types.LogicalType).underlyingType : type;
}

function isUnion(type: avro.Type): type is avro.Type & { readonly types: readonly avro.Type[] } {
  return avro.Type.isType(type, 'union');
}

function show(type: avro.Type): string {
  const t = unwrapLogical(type);
  if (isUnion(t)) return `[${t.types.map(show).join(', ')}]`;
  if (t.name !== undefined) return `"${t.name}"`;
  if (avro.Type.isType(t, 'array')) return `array<${show((t as avro.types.ArrayType).itemsType)}>`;
  if (avro.Type.isType(t, 'map'))
    return `map<${show((t as avro.types.MapType).valuesType as avro.Type)}>`;
  return `"${typeNameOf(t)}"`;
}
