import {
  defineKey,
  formatPath,
  isPlainObject,
  isScalarArray,
  type ConfigPath,
  type PlainObject,
} from './path';
import { MASK } from './validate';

export { MASK };

/**
 * A deep copy of `value` with every leaf named in `secretPaths` (as `LoadedConfig.secretPaths`
 * spells them) replaced by `******`. Safe to log or print.
 */
export function redact<T>(value: T, secretPaths: ReadonlySet<string>): T {
  return redactAt(value, [], secretPaths) as T;
}

function redactAt(value: unknown, path: ConfigPath, secretPaths: ReadonlySet<string>): unknown {
  if (path.length > 0 && secretPaths.has(formatPath(path))) return MASK;
  if (Array.isArray(value)) {
    // A scalar array is one leaf: masked whole above, or copied as is.
    if (isScalarArray(value)) return [...value];
    return value.map((item, index) => redactAt(item, [...path, index], secretPaths));
  }
  if (isPlainObject(value)) {
    const out: PlainObject = {};
    for (const key of Object.keys(value))
      defineKey(out, key, redactAt(value[key], [...path, key], secretPaths));
    return out;
  }
  return value;
}
