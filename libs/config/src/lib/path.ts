/** A location in a config tree: object keys and array indices. */
export type ConfigPath = readonly (string | number)[];

export type PlainObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is PlainObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `kafka.brokers`, `event_types[0].name`: the one spelling used in provenance, errors and explain. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

/**
 * An array is shown and tracked as one value when it holds only scalars (`brokers`,
 * `group_by`); an array of maps (`event_types`) is walked element by element.
 */
export function isScalarArray(value: readonly unknown[]): boolean {
  return value.every((item) => !isPlainObject(item) && !Array.isArray(item));
}

export interface Leaf {
  readonly path: ConfigPath;
  readonly value: unknown;
}

/** Every leaf of a tree: scalars, scalar arrays and empty maps. */
export function leaves(value: unknown, path: ConfigPath = []): Leaf[] {
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) return path.length === 0 ? [] : [{ path, value }];
    return keys.flatMap((key) => leaves(value[key], [...path, key]));
  }
  if (Array.isArray(value) && !isScalarArray(value)) {
    return value.flatMap((item, index) => leaves(item, [...path, index]));
  }
  return [{ path, value }];
}

/** Set a value at a path, creating maps on the way; used to turn one env var into a layer. */
export function setAtPath(target: PlainObject, path: readonly string[], value: unknown): void {
  let node = target;
  path.forEach((key, index) => {
    if (index === path.length - 1) {
      defineKey(node, key, value);
      return;
    }
    const next = node[key];
    if (isPlainObject(next)) {
      node = next;
    } else {
      const created: PlainObject = {};
      defineKey(node, key, created);
      node = created;
    }
  });
}

/** Assignment that treats `__proto__` as data, never as the prototype. */
export function defineKey(target: PlainObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
