import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig } from '@platform/config';
import { nestLoggerSink } from '@platform/messaging';
import {
  exitWhenFlushed,
  OBSERVABILITY_LOGGER,
  PlatformMetrics,
  ReadinessRegistry,
  type PinoLogger,
} from '@platform/observability';
import { SchemaRegistryClient } from '@platform/schema-registry';
import { AggregatorRunner } from '../pipeline/aggregator-runner';
import type { AggregatorSettings } from '../pipeline/settings';
import { formatTable } from './console-table';
import { runnerMetrics } from './runner-metrics';

export const AGGREGATOR_SETTINGS = Symbol('AGGREGATOR_SETTINGS');
export const AGGREGATOR_CONSOLE = Symbol('AGGREGATOR_CONSOLE');

/** `run` mode inside Nest: starts the runner after bootstrap, stops it before shutdown. */
@Injectable()
export class AggregatorService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly runner: AggregatorRunner;

  constructor(
    @Inject(PLATFORM_CONFIG) config: PlatformConfig,
    @Inject(AGGREGATOR_SETTINGS) settings: AggregatorSettings,
    @Inject(AGGREGATOR_CONSOLE) consoleOut: boolean,
    @Inject(OBSERVABILITY_LOGGER) logger: PinoLogger,
    metrics: PlatformMetrics,
    readiness: ReadinessRegistry,
  ) {
    this.runner = new AggregatorRunner({
      config,
      settings,
      mode: 'run',
      registry: new SchemaRegistryClient({ url: config.schema_registry.url }),
      logger,
      kafkaLogger: nestLoggerSink(),
      metrics: runnerMetrics(metrics),
      ...(consoleOut
        ? { onCommitted: (rows) => process.stdout.write(`${formatTable(rows)}\n`) }
        : {}),
      // An error no retry can heal: say why in one JSON line, leave the group, exit non-zero
      // so that the orchestrator restarts the pod.
      onFatal: (error) => {
        logger.error(
          { event: 'aggregator.fatal', err: error },
          'unrecoverable error: stopping with exit code 1',
        );
        void this.runner
          .stop()
          .catch(() => undefined)
          .finally(() => exitWhenFlushed(1));
      },
    });
    readiness.register({
      name: 'aggregator',
      check: async () => {
        if (!this.runner.isReady) throw new Error('not assigned and restored yet');
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.runner.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    // The batch in hand finishes (its transaction commits or aborts) before the consumer leaves.
    await this.runner.stop();
  }
}
