import type { DynamicModule } from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig } from '@platform/config';
import { PlatformMetrics } from '@platform/observability';
import { SinkModule, type BuiltInSinkOptions, type SinkMetrics } from '@platform/sink-adapters';
import type { GatewaySettings } from '../config/gateway-settings';

/** The query backend (`GATEWAY_QUERY_BACKEND`) as the one sink under `SINKS`. */
export function querySinkModule(settings: GatewaySettings): DynamicModule {
  return SinkModule.registerAsync({
    inject: [PLATFORM_CONFIG, PlatformMetrics],
    useFactory: (config: PlatformConfig, metrics: PlatformMetrics) => {
      const sinkMetrics: SinkMetrics = {
        recordWrite: (sink, table, rows, latencySeconds, success) =>
          metrics.sinkWrite({ sink, table, rows, latencySeconds, success }),
      };
      const options: Pick<BuiltInSinkOptions, GatewaySettings['queryBackend']> = {
        clickhouse: {
          settings: config.clickhouse,
          metrics: sinkMetrics,
          requestTimeoutMs: settings.queryTimeoutMs,
        },
        postgres: { settings: config.postgres, metrics: sinkMetrics, poolSize: 4 },
      };
      return {
        sinks: [settings.queryBackend],
        optionsFor: (name) => options[name as GatewaySettings['queryBackend']],
      };
    },
  });
}
