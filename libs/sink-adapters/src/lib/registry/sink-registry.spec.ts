import { MemorySink } from '../memory/memory.sink';
import { SinkError } from '../sink.error';
import { Sink } from '../sink.port';
import { SinkRegistry, createSinkRegistry } from './sink-registry';

describe(SinkRegistry.name, () => {
  it('lists the built-in sinks', () => {
    expect(createSinkRegistry().list()).toEqual(['clickhouse', 'csv', 'memory', 'postgres']);
  });

  it('creates a built-in sink by name', () => {
    expect(createSinkRegistry().create('memory', {})).toBeInstanceOf(MemorySink);
  });

  it('fails on an unknown name with the list of known ones', () => {
    let error: unknown;
    try {
      createSinkRegistry().create('kafka', {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SinkError);
    expect(error).toMatchObject({ code: 'UNKNOWN_SINK', retriable: false });
    expect((error as Error).message).toContain('known sinks: clickhouse, csv, memory, postgres');
  });

  it('accepts a third-party sink and passes it its options', () => {
    const factory = jest.fn((options: { prefix: string }): Sink => {
      void options;
      return new MemorySink();
    });
    const registry = createSinkRegistry().register('s3', factory);
    registry.create('s3', { prefix: 'x' });
    expect(factory).toHaveBeenCalledWith({ prefix: 'x' });
    expect(registry.list()).toContain('s3');
  });

  it('refuses to register a name twice', () => {
    expect(() => createSinkRegistry().register('memory', () => new MemorySink())).toThrow(
      /already registered/,
    );
  });
});
