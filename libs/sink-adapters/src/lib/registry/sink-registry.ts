import { ClickHouseSink, ClickHouseSinkOptions } from '../clickhouse/clickhouse.sink';
import { CsvSink, CsvSinkOptions } from '../csv/csv.sink';
import { MemorySink, MemorySinkOptions } from '../memory/memory.sink';
import { PostgresSink, PostgresSinkOptions } from '../postgres/postgres.sink';
import { SinkError } from '../sink.error';
import { Sink } from '../sink.port';

/** Builds a sink from its options. Third-party sinks register one of these under a name. */
export type SinkFactory<O> = (options: O) => Sink;

/** The options of the built-in drivers, by registry name. */
export interface BuiltInSinkOptions {
  clickhouse: ClickHouseSinkOptions;
  postgres: PostgresSinkOptions;
  csv: CsvSinkOptions;
  memory: MemorySinkOptions;
}

/**
 * Sinks by name: the plugin point for storage backends. Config names a driver; `create`
 * builds it, and an unknown name fails at boot with the list of known ones.
 */
export class SinkRegistry {
  private readonly factories = new Map<string, SinkFactory<never>>();

  register<O>(name: string, factory: SinkFactory<O>): this {
    if (!/^[a-z][a-z0-9_-]*$/.test(name)) {
      throw new SinkError(
        'INVALID_ARGUMENT',
        `sink name ${JSON.stringify(name)} must be lower-case`,
      );
    }
    if (this.factories.has(name)) {
      throw new SinkError('INVALID_ARGUMENT', `a sink named ${name} is already registered`);
    }
    this.factories.set(name, factory as SinkFactory<never>);
    return this;
  }

  create<K extends keyof BuiltInSinkOptions>(name: K, options: BuiltInSinkOptions[K]): Sink;
  create<O>(name: string, options: O): Sink;
  create(name: string, options: unknown): Sink {
    const factory = this.factories.get(name);
    if (!factory) {
      throw new SinkError(
        'UNKNOWN_SINK',
        `unknown sink ${JSON.stringify(name)}; known sinks: ${this.list().join(', ') || '(none)'}`,
        { retriable: false },
      );
    }
    return (factory as SinkFactory<unknown>)(options);
  }

  has(name: string): boolean {
    return this.factories.has(name);
  }

  list(): string[] {
    return [...this.factories.keys()].sort();
  }
}

/** A registry with the built-in drivers: `clickhouse`, `postgres`, `csv` and `memory`. */
export function createSinkRegistry(): SinkRegistry {
  return new SinkRegistry()
    .register<ClickHouseSinkOptions>('clickhouse', (o) => new ClickHouseSink(o))
    .register<PostgresSinkOptions>('postgres', (o) => new PostgresSink(o))
    .register<CsvSinkOptions>('csv', (o) => new CsvSink(o))
    .register<MemorySinkOptions>('memory', (o) => new MemorySink(o ?? {}));
}
