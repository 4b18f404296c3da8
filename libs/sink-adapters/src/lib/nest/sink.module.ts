import { ConfigurableModuleBuilder, Module, type Provider } from '@nestjs/common';
import { loadSinkPlugins } from '../registry/sink-plugins';
import { createSinkRegistry, type SinkRegistry } from '../registry/sink-registry';
import type { Sink } from '../sink.port';

export interface SinkModuleOptions {
  /** The drivers to build, by name: built-in ones or those the plugins register. */
  readonly sinks: readonly string[];
  /** Modules exporting more drivers (`sinks`, or a default export): paths or package names. */
  readonly plugins?: readonly string[];
  /** Where relative plugin paths are resolved. Default the process's directory. */
  readonly cwd?: string;
  /** The options each named driver is built with (its config section, metrics). Default `{}`. */
  readonly optionsFor?: (name: string) => unknown;
}

/** The registry holding the built-in drivers and the plugins' ones. */
export const SINK_REGISTRY = Symbol('SINK_REGISTRY');
/** The configured sinks (`Sink[]`), built but not connected: their user owns their lifecycle. */
export const SINKS = Symbol('SINKS');

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } =
  new ConfigurableModuleBuilder<SinkModuleOptions>().build();
export const SINK_MODULE_OPTIONS = MODULE_OPTIONS_TOKEN;

/** Pure wiring: a registry with the built-ins and the plugins' drivers, and the named sinks. */
export function buildSinkRegistry(options: SinkModuleOptions): SinkRegistry {
  const registry = createSinkRegistry();
  for (const plugin of options.plugins ?? []) {
    loadSinkPlugins(registry, plugin, options.cwd ?? process.cwd());
  }
  return registry;
}

const providers: Provider[] = [
  { provide: SINK_REGISTRY, inject: [SINK_MODULE_OPTIONS], useFactory: buildSinkRegistry },
  {
    provide: SINKS,
    inject: [SINK_REGISTRY, SINK_MODULE_OPTIONS],
    // An unknown name fails here, at boot, with the list of known sinks.
    useFactory: (registry: SinkRegistry, options: SinkModuleOptions): Sink[] =>
      options.sinks.map((name) => registry.create(name, options.optionsFor?.(name) ?? {})),
  },
];

/**
 * Sinks by config: `SinkModule.register({ sinks, plugins, optionsFor })` (or
 * `registerAsync`) provides {@link SINKS} and {@link SINK_REGISTRY}.
 */
@Module({ providers, exports: [SINKS, SINK_REGISTRY] })
export class SinkModule extends ConfigurableModuleClass {}
