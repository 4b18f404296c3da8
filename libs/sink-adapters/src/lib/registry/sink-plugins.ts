import { createRequire } from 'node:module';
import { join } from 'node:path';
import { SinkError } from '../sink.error';
import type { Sink } from '../sink.port';
import type { SinkRegistry } from './sink-registry';

/** A driver shipped outside this library: a name to select it by and how to build it. */
export interface SinkPlugin<O = unknown> {
  readonly name: string;
  create(options: O): Sink;
}

/**
 * Registers the sinks a module exports: `sinks` (an array) or a default export (one plugin or
 * an array). CommonJS, or TypeScript where ts-node or Jest compiles it. A relative path is
 * resolved against `cwd`; a bare name is a package installed there.
 */
export function loadSinkPlugins(registry: SinkRegistry, specifier: string, cwd: string): void {
  let exported: { sinks?: unknown; default?: unknown };
  try {
    exported = createRequire(join(cwd, 'noop.js'))(specifier) as typeof exported;
  } catch (error) {
    throw new SinkError(
      'UNKNOWN_SINK',
      `cannot load sink plugin ${specifier}: ${error instanceof Error ? error.message : String(error)}`,
      { retriable: false },
    );
  }
  const found = exported.sinks ?? exported.default;
  const plugins = (Array.isArray(found) ? found : [found]).filter((p) => p !== undefined);
  if (plugins.length === 0) {
    throw new SinkError(
      'UNKNOWN_SINK',
      `sink plugin ${specifier} exports no sinks (export \`sinks\` or a default)`,
      { retriable: false },
    );
  }
  for (const plugin of plugins as SinkPlugin[]) {
    if (typeof plugin.name !== 'string' || typeof plugin.create !== 'function') {
      throw new SinkError(
        'UNKNOWN_SINK',
        `sink plugin ${specifier} exports something that is not a sink plugin (need name and create())`,
        { retriable: false },
      );
    }
    registry.register(plugin.name, (options) => plugin.create(options));
  }
}
