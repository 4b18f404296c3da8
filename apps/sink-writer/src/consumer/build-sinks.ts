import type { PlatformConfig } from '@platform/config';
import type { BuiltInSinkOptions, SinkMetrics } from '@platform/sink-adapters';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The options each sink is built with: built-in drivers get their config section; a plugin's
 * driver gets the metrics and the environment, where it reads its own settings.
 */
export function sinkOptionsFor(
  config: PlatformConfig,
  metrics: SinkMetrics,
  env: Env,
  options: { readonly pgCopyConnections?: number } = {},
): (name: string) => unknown {
  const builtIn: BuiltInSinkOptions = {
    clickhouse: { settings: config.clickhouse, metrics },
    postgres: {
      settings: config.postgres,
      metrics,
      ...(options.pgCopyConnections === undefined
        ? {}
        : { copyConnections: options.pgCopyConnections }),
    },
    csv: { directory: env['SINK_WRITER_CSV_DIR'] ?? 'tmp/sink-writer-csv', metrics },
    memory: { metrics },
  };
  return (name) =>
    Object.hasOwn(builtIn, name) ? builtIn[name as keyof BuiltInSinkOptions] : { metrics, env };
}
