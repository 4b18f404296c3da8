import { defineKey, isPlainObject, type PlainObject } from './path';

/**
 * Merge `override` onto `base` without touching either: maps merge key by key, everything
 * else (scalars, arrays, null) replaces what was there, and `undefined` leaves the base
 * alone. The result shares no objects with the inputs.
 */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (override === undefined) return clone(base);
  if (isPlainObject(base) && isPlainObject(override)) {
    const out: PlainObject = {};
    for (const key of Object.keys(base)) defineKey(out, key, clone(base[key]));
    for (const key of Object.keys(override)) {
      defineKey(out, key, deepMerge(out[key], override[key]));
    }
    return out;
  }
  return clone(override);
}

/** Left-to-right fold of {@link deepMerge}: later layers win. */
export function deepMergeAll(...layers: readonly unknown[]): unknown {
  return layers.reduce<unknown>((acc, layer) => deepMerge(acc, layer), undefined);
}

function clone(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clone);
  if (isPlainObject(value)) {
    const out: PlainObject = {};
    for (const key of Object.keys(value)) defineKey(out, key, clone(value[key]));
    return out;
  }
  return value;
}
