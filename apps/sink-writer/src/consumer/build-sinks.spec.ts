import { loadAppSettings, sinkWriterSection, type PlatformConfig } from '@platform/config';
import { NOOP_SINK_METRICS } from '@platform/sink-adapters';
import { sinkOptionsFor } from './build-sinks';

const sinkPlugins = (env: Record<string, string>): readonly string[] =>
  loadAppSettings(sinkWriterSection, env).sinkPlugins;

describe('sink writer sinks', () => {
  it('reads plugin modules from SINK_WRITER_SINK_PLUGINS', () => {
    expect(sinkPlugins({})).toEqual([]);
    expect(sinkPlugins({ SINK_WRITER_SINK_PLUGINS: ' ./a , @acme/s3-sink,' })).toEqual([
      './a',
      '@acme/s3-sink',
    ]);
  });

  it('gives built-in drivers their config section and plugins the metrics and env', () => {
    const config = {
      clickhouse: { database: 'ch' },
      postgres: { schema: 'pg' },
    } as unknown as PlatformConfig;
    const env = { SINK_WRITER_CSV_DIR: '/csv', S3_BUCKET: 'b' };
    const optionsFor = sinkOptionsFor(config, NOOP_SINK_METRICS, env, { pgCopyConnections: 3 });
    expect(optionsFor('clickhouse')).toEqual({
      settings: config.clickhouse,
      metrics: NOOP_SINK_METRICS,
    });
    expect(optionsFor('postgres')).toMatchObject({ settings: config.postgres, copyConnections: 3 });
    expect(optionsFor('csv')).toMatchObject({ directory: '/csv' });
    expect(optionsFor('s3')).toEqual({ metrics: NOOP_SINK_METRICS, env });
  });
});
