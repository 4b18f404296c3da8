import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Logger } from 'pino';
import {
  OBSERVABILITY_MODULE_OPTIONS,
  type ObservabilityModuleOptions,
} from '../observability.module-definition';
import { OBSERVABILITY_LOGGER } from '../observability.tokens';
import { InFlightTracker } from './in-flight-tracker';

export const DEFAULT_DRAIN_TIMEOUT_MS = 25_000;

const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * Owns the shutdown sequence of in-flight work:
 * 1. on the signal, `/readyz` turns 503 at once (the tracker starts draining);
 * 2. `beforeApplicationShutdown` waits for in-flight work, up to `drainTimeoutMs`;
 * 3. only then does Nest close the HTTP server and call `onApplicationShutdown`, where
 *    connections (Kafka, PostgreSQL, ClickHouse) should close.
 * `installGracefulShutdown` runs steps 1 and 2 before `app.close()` starts any hook.
 */
@Injectable()
export class DrainService
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private drained: Promise<boolean> | undefined;
  private readonly onSignal = (signal: NodeJS.Signals): void => this.startDraining(signal);
  private listening = false;

  constructor(
    @Inject(OBSERVABILITY_MODULE_OPTIONS) private readonly options: ObservabilityModuleOptions,
    readonly tracker: InFlightTracker,
    @Inject(OBSERVABILITY_LOGGER) private readonly logger: Logger,
  ) {}

  get timeoutMs(): number {
    return this.options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  }

  get isDraining(): boolean {
    return this.tracker.isDraining;
  }

  /** Readiness goes down now; nothing else happens yet. Idempotent. */
  startDraining(reason = 'shutdown'): void {
    if (this.tracker.isDraining) return;
    this.tracker.startDraining(reason);
    this.logger.info(
      { event: 'shutdown.draining', reason, in_flight: this.tracker.inFlight },
      'Draining: readiness is down, waiting for in-flight work',
    );
  }

  /** Starts draining and waits for in-flight work; `false` if the timeout cut it short. */
  drain(timeoutMs: number = this.timeoutMs): Promise<boolean> {
    this.startDraining();
    this.drained ??= (async () => {
      const started = performance.now();
      const idle = await this.tracker.waitForIdle(timeoutMs);
      const waitedMs = Math.round(performance.now() - started);
      if (idle) {
        this.logger.info(
          { event: 'shutdown.drained', waited_ms: waitedMs },
          'In-flight work finished',
        );
      } else {
        this.logger.warn(
          {
            event: 'shutdown.drain_timeout',
            waited_ms: waitedMs,
            in_flight: this.tracker.inFlight,
          },
          `In-flight work still running after ${timeoutMs} ms; shutting down anyway`,
        );
      }
      return idle;
    })();
    return this.drained;
  }

  /**
   * With `app.enableShutdownHooks()`, Nest runs every `onModuleDestroy` before the first
   * `beforeApplicationShutdown`; readiness must fail before that, so when somebody already
   * handles the signals we also listen, only to flip readiness. We never add the first
   * listener: that would stop a process without shutdown hooks from exiting on SIGTERM.
   */
  onApplicationBootstrap(): void {
    if (SHUTDOWN_SIGNALS.some((signal) => process.listenerCount(signal) > 0)) {
      for (const signal of SHUTDOWN_SIGNALS) {
        if (process.listenerCount(signal) > 0) process.prependListener(signal, this.onSignal);
      }
      this.listening = true;
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.drain();
  }

  onApplicationShutdown(): void {
    if (!this.listening) return;
    for (const signal of SHUTDOWN_SIGNALS) process.removeListener(signal, this.onSignal);
    this.listening = false;
  }
}
