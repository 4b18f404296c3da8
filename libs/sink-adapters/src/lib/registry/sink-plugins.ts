import { loadPluginModule } from '@platform/contracts';
import { SinkError } from '../sink.error';
import type { Sink } from '../sink.port';
import type { SinkRegistry } from './sink-registry';

/** A driver shipped outside this library: a name to select it by and how to build it. */
export interface SinkPlugin<O = unknown> {
  readonly name: string;
  create(options: O): Sink;
}

const SINK_PLUGINS = { label: 'sink plugin', exportName: 'sinks', noun: 'sinks' };

/**
 * Registers the sinks a module exports: `sinks` (an array) or a default export (one plugin or
 * an array). CommonJS, or TypeScript where ts-node or Jest compiles it. A relative path is
 * resolved against `cwd`; a bare name is a package installed there.
 */
export function loadSinkPlugins(registry: SinkRegistry, specifier: string, cwd: string): void {
  let plugins: unknown[];
  try {
    plugins = loadPluginModule(specifier, cwd, SINK_PLUGINS);
  } catch (error) {
    throw new SinkError('UNKNOWN_SINK', (error as Error).message, { retriable: false });
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
