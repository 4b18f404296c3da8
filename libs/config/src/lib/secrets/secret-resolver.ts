import { ConfigError } from '../config.error';
import {
  defineKey,
  formatPath,
  isPlainObject,
  isScalarArray,
  type ConfigPath,
  type PlainObject,
} from '../path';
import { sourceOf, type Provenance } from '../provenance';
import type { SecretBackend } from './secret-backend';

const SECRET_REFERENCE = /\$\{secret:([^}]+)\}/g;

/** Sections never searched for references: the backend's own settings come first. */
const UNRESOLVED_SECTIONS = new Set(['secrets']);

export interface SecretReference {
  readonly key: string;
  /** The config path holding the reference, as a leaf path. */
  readonly path: string;
  readonly segments: ConfigPath;
}

export interface ResolvedSecrets {
  readonly tree: PlainObject;
  /** Leaf paths whose value contained at least one reference. */
  readonly secretPaths: ReadonlySet<string>;
  /** The resolved values, so messages can be scrubbed of them. */
  readonly values: readonly string[];
}

/** Every `${secret:KEY}` in string values, outside the `secrets` section. */
export function findSecretReferences(tree: PlainObject): SecretReference[] {
  const found: SecretReference[] = [];
  visitStrings(tree, [], [], (text, leaf) => {
    for (const match of text.matchAll(SECRET_REFERENCE)) {
      found.push({ key: (match[1] ?? '').trim(), path: formatPath(leaf), segments: leaf });
    }
    return text;
  });
  return found;
}

/**
 * Replace every reference with the backend's value. All missing keys are reported in one
 * error naming each key, the path that referenced it, its file and the backend.
 */
export async function resolveSecrets(
  tree: PlainObject,
  backend: SecretBackend,
  provenance: Provenance,
): Promise<ResolvedSecrets> {
  const references = findSecretReferences(tree);
  if (references.length === 0) return { tree, secretPaths: new Set(), values: [] };

  const keys = [...new Set(references.map((reference) => reference.key))];
  const values = await backend.get(keys);
  const missing = references.filter((reference) => !values.has(reference.key));
  if (missing.length > 0) {
    const lines = missing.map((reference) => {
      const source = sourceOf(provenance, reference.segments);
      return `  - ${reference.key}, referenced by ${reference.path}${source ? ` (${source})` : ''}`;
    });
    throw new ConfigError(
      'CONFIG_SECRET_MISSING',
      `Missing secrets in backend ${backend.description}:\n${lines.join('\n')}`,
      missing.map((reference) => ({
        path: reference.segments,
        source: sourceOf(provenance, reference.segments),
        message: `secret ${reference.key} not found in backend ${backend.description}`,
      })),
    );
  }

  const resolved = visitStrings(tree, [], [], (text) =>
    text.replace(SECRET_REFERENCE, (_whole, key: string) => values.get(key.trim()) ?? ''),
  );
  return {
    tree: isPlainObject(resolved) ? resolved : tree,
    secretPaths: new Set(references.map((reference) => reference.path)),
    values: [...new Set(values.values())],
  };
}

/**
 * Copy `value`, passing each string through `visit` with its leaf path (a scalar array
 * counts as one leaf, as in provenance).
 */
function visitStrings(
  value: unknown,
  path: ConfigPath,
  leaf: ConfigPath,
  visit: (text: string, leaf: ConfigPath) => string,
): unknown {
  if (typeof value === 'string') return visit(value, leaf);
  if (Array.isArray(value)) {
    const scalar = isScalarArray(value);
    return value.map((item, index) =>
      visitStrings(item, [...path, index], scalar ? leaf : [...leaf, index], visit),
    );
  }
  if (isPlainObject(value)) {
    const out: PlainObject = {};
    for (const key of Object.keys(value)) {
      const child = value[key];
      const skip = path.length === 0 && UNRESOLVED_SECTIONS.has(key);
      defineKey(
        out,
        key,
        skip ? child : visitStrings(child, [...path, key], [...leaf, key], visit),
      );
    }
    return out;
  }
  return value;
}
