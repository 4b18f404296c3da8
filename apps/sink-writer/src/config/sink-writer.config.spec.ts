import { ConfigError, SINK_WRITER_STREAMS } from '@platform/config';
import { SINK_STREAMS } from '@platform/sink-adapters';
import { loadSinkWriterSettings } from './sink-writer.config';

describe(loadSinkWriterSettings.name, () => {
  it('uses the documented defaults when nothing is set', () => {
    expect(loadSinkWriterSettings({})).toEqual({
      sinks: ['clickhouse', 'postgres'],
      sinkPlugins: [],
      streams: ['events', 'aggregates'],
      groupId: 'sink-writer',
      maxBatch: 50000,
      maxBatchBytes: 16 * 1024 * 1024,
      maxWaitMs: 100,
      concurrency: 3,
      fetchBytesPerPartition: 1024 * 1024,
      flushesInFlight: 2,
      pgCopyConnections: 2,
      fromBeginning: true,
      lagIntervalMs: 2000,
      sessionTimeoutMs: 30000,
      port: 8083,
      host: '0.0.0.0',
    });
  });

  it('reads lists and numbers from the environment', () => {
    const s = loadSinkWriterSettings({
      SINK_WRITER_SINKS: 'postgres, clickhouse',
      SINK_WRITER_STREAMS: 'aggregates',
      SINK_WRITER_MAX_BATCH: '100',
      SINK_WRITER_FROM_BEGINNING: 'false',
    });
    expect(s.sinks).toEqual(['postgres', 'clickhouse']);
    expect(s.streams).toEqual(['aggregates']);
    expect(s.maxBatch).toBe(100);
    expect(s.fromBeginning).toBe(false);
  });

  it('lists every bad variable in one error', () => {
    let error: unknown;
    try {
      loadSinkWriterSettings({
        SINK_WRITER_MAX_BATCH: '0',
        SINK_WRITER_STREAMS: 'events,bogus',
        SINK_WRITER_SINKS: 'postgres,postgres',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('SINK_WRITER_MAX_BATCH');
    expect(message).toContain('SINK_WRITER_STREAMS');
    expect(message).toContain('sink postgres is listed twice');
  });

  it('knows the streams the sink adapters bind', () => {
    expect([...SINK_WRITER_STREAMS]).toEqual([...SINK_STREAMS]);
  });
});
