import {
  fieldsOf,
  loadPluginModule,
  type DomainModel,
  type EventTypeSpec,
  type FieldSpec,
  type FieldType,
} from '@platform/contracts';
import type { EventProcessor } from './chain';

/** What a factory gets to build a processor for one event type. */
export interface ProcessorSetup {
  readonly options: Readonly<Record<string, unknown>>;
  readonly eventType: EventTypeSpec;
  /** Every field of the event type with its type: identity, entity key, attributes, dimensions. */
  readonly fields: ReadonlyMap<string, FieldType>;
  /** The declared field, for its allowed values. */
  field(name: string): FieldSpec | undefined;
  /** Secrets and settings from the environment (e.g. a hashing key). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Builds a processor; throws `ProcessorConfigError` for options it cannot use. */
export type ProcessorFactory = (setup: ProcessorSetup) => EventProcessor;

export class ProcessorConfigError extends Error {
  override readonly name = 'ProcessorConfigError';
}

/** Processors by name: the built-in ones, and those a plugin module registers. */
export class ProcessorRegistry {
  private readonly factories = new Map<string, ProcessorFactory>();

  register(name: string, factory: ProcessorFactory): this {
    if (this.factories.has(name)) throw new Error(`processor ${name} is registered twice`);
    this.factories.set(name, factory);
    return this;
  }

  names(): string[] {
    return [...this.factories.keys()];
  }

  /**
   * The chain of every event type of `model`, built from its `processors` list in order. All
   * problems (unknown names, bad options) are reported at once, each with its path.
   */
  chains(
    model: DomainModel,
    env: Readonly<Record<string, string | undefined>> = {},
    cwd: string = process.cwd(),
  ): Map<string, EventProcessor[]> {
    const chains = new Map<string, EventProcessor[]>(model.eventTypes.map((t) => [t.name, []]));
    const problems: string[] = [];
    (model.processors ?? []).forEach((spec, i) => {
      if (spec.module !== undefined && !this.factories.has(spec.name)) {
        try {
          this.register(spec.name, loadFactory(spec.module, cwd));
        } catch (error) {
          problems.push(`processors[${i}].module: ${(error as Error).message}`);
          return;
        }
      }
      const factory = this.factories.get(spec.name);
      if (factory === undefined) {
        problems.push(
          `processors[${i}].name: no processor ${JSON.stringify(spec.name)}; known: ${this.names().join(', ')}`,
        );
        return;
      }
      for (const eventType of model.eventTypes) {
        if (spec.eventTypes !== undefined && !spec.eventTypes.includes(eventType.name)) continue;
        const declared = [...eventType.attributes, ...eventType.dimensions];
        try {
          chains.get(eventType.name)?.push(
            factory({
              options: spec.options,
              eventType,
              fields: fieldsOf(eventType, model.entities),
              field: (name) => declared.find((f) => f.name === name),
              env,
            }),
          );
        } catch (error) {
          if (!(error instanceof ProcessorConfigError)) throw error;
          problems.push(`processors[${i}] (${spec.name}) on ${eventType.name}: ${error.message}`);
        }
      }
    });
    if (problems.length > 0) {
      throw new ProcessorConfigError(`invalid processors:\n  ${problems.join('\n  ')}`);
    }
    return chains;
  }
}

/** The factory a processor module exports: `processor`, or its default export. */
function loadFactory(specifier: string, cwd: string): ProcessorFactory {
  const [factory] = loadPluginModule(specifier, cwd, {
    label: '',
    exportName: 'processor',
    noun: 'processor factory',
  });
  if (typeof factory !== 'function')
    throw new Error(`${specifier} exports no processor factory (a function)`);
  return factory as ProcessorFactory;
}
