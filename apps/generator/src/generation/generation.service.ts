import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectPlatformConfig, type PlatformConfig } from '@platform/config';
import { kafkaIndicator } from '@platform/messaging';
import { PlatformMetrics, ReadinessRegistry } from '@platform/observability';
import { SyntheticGenerator } from '@platform/synthetic';
import { runGeneration, type GenerationResult, type Progress } from './generation-loop';
import { sessionGapForRate, type GeneratorSettings } from './generator-settings';
import { KafkaSink } from './kafka-sink';

export const GENERATOR_SETTINGS = Symbol('GENERATOR_SETTINGS');

/**
 * Produces synthetic sessions to Kafka at the configured rate for as long as the service
 * runs. Connects (topics, schemas, producer) at bootstrap, so a broken Kafka or registry
 * fails the boot; on shutdown stops generating, flushes and closes the producer.
 */
@Injectable()
export class GenerationService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(GenerationService.name);
  private readonly stop = new AbortController();
  private sink: KafkaSink | undefined;
  private running: Promise<GenerationResult> | undefined;
  private last: Progress = { generated: 0, sent: 0, errors: 0, elapsedMs: 0 };
  private lastLogged = 0;

  constructor(
    @InjectPlatformConfig() private readonly config: PlatformConfig,
    @Inject(GENERATOR_SETTINGS) private readonly settings: GeneratorSettings,
    private readonly metrics: PlatformMetrics,
    private readonly readiness: ReadinessRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.settings.autostart) {
      this.logger.log({ event: 'generation.disabled' });
      return;
    }
    const metrics = this.metrics;
    this.sink = await KafkaSink.open({
      config: this.config,
      client: this.settings.kafkaClient,
      metrics: {
        settled: (type, ok, seconds) => metrics.produceSettled(type, ok, seconds),
      },
    });
    this.readiness.register(kafkaIndicator(this.sink.kafka));
    const { settings } = this;
    const generator = new SyntheticGenerator(this.config.model, {
      seed: settings.seed,
      userPoolSize: settings.users,
      // The service's event time follows the wall clock: that is what live dashboards expect.
      startTime: settings.startTime === 'now' ? Date.now() : settings.startTime,
      meanSessionGapMs: sessionGapForRate(settings.ratePerSec),
      ...(settings.outOfOrder === undefined ? {} : { outOfOrder: settings.outOfOrder }),
      ...(settings.lateBeyond === undefined ? {} : { lateBeyond: settings.lateBeyond }),
    });
    this.logger.log({
      event: 'generation.started',
      rate_per_sec: settings.ratePerSec,
      seed: settings.seed,
      topics: this.sink.topics,
    });
    this.running = runGeneration({
      source: generator.stream(),
      sink: this.sink,
      model: this.config.model,
      ratePerSec: settings.ratePerSec,
      signal: this.stop.signal,
      progressEveryMs: 1_000,
      onProgress: (p) => this.progress(p),
    });
    this.running.catch((error: unknown) =>
      this.logger.error({
        event: 'generation.failed',
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  }

  /** What has been produced so far. */
  status(): Progress {
    return this.last;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stop.abort();
    const result = await this.running?.catch(() => undefined);
    if (result !== undefined) {
      this.logger.log({
        event: 'generation.stopped',
        sent: result.sent,
        errors: result.errors,
        counts_by_type: result.summary.countsByType,
        revenue_sum: result.summary.revenueSum,
      });
    }
    await this.sink?.close();
  }

  private progress(p: Progress): void {
    const newErrors = p.errors - this.last.errors;
    this.last = p;
    // Progress arrives every second (for /generation/status); log it every 30 s.
    if (p.elapsedMs - this.lastLogged >= 30_000) {
      this.lastLogged = p.elapsedMs;
      this.logger.log({
        event: 'generation.progress',
        generated: p.generated,
        sent: p.sent,
        errors: p.errors,
      });
    }
    if (newErrors > 0) this.logger.warn({ event: 'generation.send_errors', errors: newErrors });
  }
}
