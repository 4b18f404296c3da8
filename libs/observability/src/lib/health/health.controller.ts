import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import type { Logger } from 'pino';
import {
  OBSERVABILITY_MODULE_OPTIONS,
  type ObservabilityModuleOptions,
} from '../observability.module-definition';
import { OBSERVABILITY_LOGGER } from '../observability.tokens';
import { DrainService } from '../shutdown/drain.service';
import {
  DEFAULT_INDICATOR_TIMEOUT_MS,
  runIndicator,
  type HealthIndicatorPort,
} from './health-indicator';
import { ReadinessRegistry } from './readiness.registry';

/**
 * `GET /healthz`: liveness, no I/O, always 200 while the process can answer (draining
 * included: a draining pod must not be restarted, only taken out of the Service).
 * `GET /readyz`: readiness through terminus; every registered indicator in parallel, each
 * `{ status: 'up' | 'down', latency_ms, error? }`; 503 if one is down or the app drains.
 */
@Controller()
export class HealthController {
  private lastStatus: 'ok' | 'error' | undefined;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly registry: ReadinessRegistry,
    private readonly drain: DrainService,
    @Inject(OBSERVABILITY_MODULE_OPTIONS) private readonly options: ObservabilityModuleOptions,
    @Inject(OBSERVABILITY_LOGGER) private readonly logger: Logger,
  ) {}

  @Get('healthz')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  liveness(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  async readiness(): Promise<HealthCheckResult> {
    if (this.drain.isDraining) {
      throw new ServiceUnavailableException({
        status: 'error',
        draining: true,
        info: {},
        error: {},
        details: {},
      });
    }
    try {
      const result = await this.health.check(
        this.registry.list().map((indicator) => () => this.probe(indicator)),
      );
      this.transition('ok', result);
      return result;
    } catch (error) {
      if (error instanceof ServiceUnavailableException) {
        this.transition('error', error.getResponse());
      }
      throw error;
    }
  }

  private async probe(indicator: HealthIndicatorPort): Promise<HealthIndicatorResult> {
    const timeoutMs = this.options.readinessTimeoutMs ?? DEFAULT_INDICATOR_TIMEOUT_MS;
    const { status, ...details } = await runIndicator(indicator, timeoutMs);
    const session = this.indicators.check(indicator.name);
    return status === 'up' ? session.up(details) : session.down(details);
  }

  // Probes run every few seconds: log when readiness changes, not on every probe.
  private transition(status: 'ok' | 'error', result: unknown): void {
    if (status === this.lastStatus) return;
    const first = this.lastStatus === undefined;
    this.lastStatus = status;
    if (status === 'ok' && first) return;
    const details = (result as { details?: unknown }).details;
    if (status === 'error') {
      this.logger.warn({ event: 'readiness.down', details }, 'Readiness check failed');
    } else {
      this.logger.info({ event: 'readiness.up', details }, 'Readiness check recovered');
    }
  }
}
