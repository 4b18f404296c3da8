import { formatPath, isPlainObject, isScalarArray, type ConfigPath } from './path';

/** Leaf path (as {@link formatPath} spells it) → the file or variable that set it. */
export type Provenance = ReadonlyMap<string, string>;

/**
 * Record that `source` set every leaf of `layer`, mirroring {@link deepMerge}: a map merges
 * into what is there, anything else replaces the whole subtree below its path.
 */
export function recordLayer(
  provenance: Map<string, string>,
  layer: unknown,
  source: string,
  path: ConfigPath = [],
): void {
  if (layer === undefined) return;
  const key = formatPath(path);
  if (isPlainObject(layer)) {
    // A map over a scalar replaces it; a map over a map keeps the old leaves.
    provenance.delete(key);
    const keys = Object.keys(layer);
    if (keys.length === 0) {
      if (path.length > 0 && !hasDescendant(provenance, key)) provenance.set(key, source);
      return;
    }
    for (const child of keys) recordLayer(provenance, layer[child], source, [...path, child]);
    return;
  }
  deleteSubtree(provenance, key);
  if (Array.isArray(layer) && !isScalarArray(layer)) {
    layer.forEach((item, index) => recordLayer(provenance, item, source, [...path, index]));
    return;
  }
  provenance.set(key, source);
}

/** Where the value at `path` came from: the path itself, its nearest ancestor, or its first leaf. */
export function sourceOf(provenance: Provenance, path: ConfigPath): string | undefined {
  for (let length = path.length; length > 0; length--) {
    const found = provenance.get(formatPath(path.slice(0, length)));
    if (found !== undefined) return found;
  }
  if (path.length === 0) return undefined;
  const key = formatPath(path);
  for (const [leaf, source] of provenance) {
    if (isBelow(leaf, key)) return source;
  }
  return undefined;
}

function isBelow(candidate: string, key: string): boolean {
  return key === '' || candidate.startsWith(`${key}.`) || candidate.startsWith(`${key}[`);
}

function hasDescendant(provenance: Provenance, key: string): boolean {
  for (const leaf of provenance.keys()) if (isBelow(leaf, key)) return true;
  return false;
}

function deleteSubtree(provenance: Map<string, string>, key: string): void {
  provenance.delete(key);
  for (const leaf of [...provenance.keys()]) if (isBelow(leaf, key)) provenance.delete(leaf);
}
