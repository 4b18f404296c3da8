import {
  loadPluginModule,
  type DomainModel,
  type EventContracts,
  type FieldFailure,
} from '@platform/contracts';
import type { GeneratedEvent, StreamedEvent } from '@platform/synthetic';
import type { RunArgs } from '../cli/args';

/**
 * An event a source produced. Sources that shape delivery (the synthetic one) say how the event
 * arrives; others are in order.
 */
export type SourceEvent = GeneratedEvent & Partial<Pick<StreamedEvent, 'delivery' | 'delayMs'>>;

/** The port every source implements: events, in the order they should be sent. */
export interface EventSource extends AsyncIterable<SourceEvent> {
  readonly name: string;
  readonly description: string;
}

/** A record the source read but could not turn into a contract event. */
export interface Rejection {
  /** Where it came from, for a human: `line 7`, `poll 3 record 2 (id 17)`. */
  readonly at: string;
  readonly failures: readonly FieldFailure[];
}

export interface SourceContext {
  readonly model: DomainModel;
  /** The model's contracts: what the gateway checks, with the same reasons. */
  readonly contracts: EventContracts;
  /** The whole `generator run` invocation (built-in sources read their flags here). */
  readonly args: RunArgs;
  /** `--source-option key=value` pairs, for sources added by a plugin. */
  readonly options: Readonly<Record<string, string>>;
  /** Aborted on Ctrl-C or when `--duration` has passed: a source should end then. */
  readonly signal: AbortSignal;
  readonly wallClock: () => number;
  /** Reports a record that does not fit the contract; it is printed and counted as an error. */
  readonly reject: (rejection: Rejection) => void;
}

/** A source by name: what `--source <name>` chooses. */
export interface SourcePlugin {
  readonly name: string;
  readonly description: string;
  /** Validates options and opens the source; throw {@link SourceOptionError} for bad usage. */
  open(context: SourceContext): EventSource | Promise<EventSource>;
}

/** A missing or bad source option: the run ends with exit code 2, like other usage errors. */
const SOURCE_PLUGINS = { label: 'source plugin', exportName: 'sources', noun: 'sources' };

export class SourceOptionError extends Error {
  override readonly name = 'SourceOptionError';
}

export class SourceRegistry {
  private readonly plugins = new Map<string, SourcePlugin>();

  constructor(plugins: readonly SourcePlugin[] = []) {
    for (const plugin of plugins) this.register(plugin);
  }

  register(plugin: SourcePlugin): void {
    if (!/^[a-z][a-z0-9-]*$/.test(plugin.name) || typeof plugin.open !== 'function') {
      throw new SourceOptionError(
        `not a source plugin: ${JSON.stringify(plugin.name)} (need a lowercase name and open())`,
      );
    }
    if (this.plugins.has(plugin.name)) {
      throw new SourceOptionError(`a source named ${plugin.name} is already registered`);
    }
    this.plugins.set(plugin.name, plugin);
  }

  get(name: string): SourcePlugin {
    const plugin = this.plugins.get(name);
    if (plugin === undefined) {
      throw new SourceOptionError(
        `unknown source ${JSON.stringify(name)}; known: ${[...this.plugins.keys()].join(', ')}`,
      );
    }
    return plugin;
  }

  list(): readonly SourcePlugin[] {
    return [...this.plugins.values()];
  }

  /**
   * Registers the sources a CommonJS module (or a `.ts` file, run through ts-node) exports:
   * `sources` (an array) or a default export (one plugin or an array). A relative path is
   * resolved against `cwd`; a bare name is a package installed there.
   */
  load(specifier: string, cwd: string): void {
    let plugins: unknown[];
    try {
      plugins = loadPluginModule(specifier, cwd, SOURCE_PLUGINS);
    } catch (error) {
      throw new SourceOptionError((error as Error).message);
    }
    for (const plugin of plugins) this.register(plugin as SourcePlugin);
  }
}
