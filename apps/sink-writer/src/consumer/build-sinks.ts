import type { PlatformConfig } from '@platform/config';
import {
  createSinkRegistry,
  rowDeleterFor,
  type Sink,
  type SinkMetrics,
} from '@platform/sink-adapters';
import type { ActiveSink } from '../writer/sink-writer';

/**
 * The configured sinks by name, through the sink registry: an unknown name fails here, at
 * boot, with the list of known sinks. Built-in drivers get their config section.
 */
export function buildSinks(
  names: readonly string[],
  config: PlatformConfig,
  metrics: SinkMetrics,
  env: Readonly<Record<string, string | undefined>>,
  options: { readonly pgCopyConnections?: number } = {},
): ActiveSink[] {
  const registry = createSinkRegistry();
  const deleterNames = {
    clickhouseDatabase: config.clickhouse.database,
    postgresSchema: config.postgres.schema,
  };
  return names.map((name) => {
    let sink: Sink;
    switch (name) {
      case 'clickhouse':
        sink = registry.create('clickhouse', { settings: config.clickhouse, metrics });
        break;
      case 'postgres':
        sink = registry.create('postgres', {
          settings: config.postgres,
          metrics,
          ...(options.pgCopyConnections === undefined
            ? {}
            : { copyConnections: options.pgCopyConnections }),
        });
        break;
      case 'csv':
        sink = registry.create('csv', {
          directory: env['SINK_WRITER_CSV_DIR'] ?? 'tmp/sink-writer-csv',
          metrics,
        });
        break;
      default:
        sink = registry.create(name, { metrics });
    }
    return { sink, deleteRows: rowDeleterFor(sink, deleterNames) };
  });
}
