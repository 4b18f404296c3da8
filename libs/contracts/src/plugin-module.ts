import { createRequire } from 'node:module';
import { join } from 'node:path';

/** What a plugin module is, for its error messages: `source plugin`, `sink plugin`, ... */
export interface PluginKind {
  /** Put before the module's name in messages; empty for none. */
  readonly label: string;
  /** The named export that holds the plugins, e.g. `sources`. */
  readonly exportName: string;
  /** What the module failed to export, e.g. `sources`. */
  readonly noun: string;
}

/**
 * The plugins a module exports: its `exportName` export, or its default export, as a list (one
 * value or an array). CommonJS, or TypeScript where ts-node or Jest compiles it. A relative
 * path is resolved against `cwd`; a bare name is a package installed there. Throws an `Error`
 * saying why when the module does not load or exports nothing; callers wrap it in their own.
 */
export function loadPluginModule(specifier: string, cwd: string, kind: PluginKind): unknown[] {
  const named = kind.label === '' ? specifier : `${kind.label} ${specifier}`;
  let exported: Record<string, unknown>;
  try {
    exported = createRequire(join(cwd, 'noop.js'))(specifier) as Record<string, unknown>;
  } catch (error) {
    // Duck-typed: an error thrown from another realm (Jest's module loader) is no `Error` here.
    const message = (error as { message?: unknown } | null)?.message;
    const reason = typeof message === 'string' ? message.split('\n')[0] : String(error);
    throw new Error(`cannot load ${named}: ${reason}`);
  }
  const found = exported[kind.exportName] ?? exported['default'];
  const values = (Array.isArray(found) ? found : [found]).filter((v) => v !== undefined);
  if (values.length === 0) {
    throw new Error(
      `${named} exports no ${kind.noun} (export \`${kind.exportName}\` or a default)`,
    );
  }
  return values;
}
