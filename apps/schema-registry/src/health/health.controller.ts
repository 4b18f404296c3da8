import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { RegistryStore } from '../persistence/registry.store';

const READINESS_TIMEOUT_MS = 2_000;

export interface ReadinessResponse {
  readonly status: 'ok' | 'unavailable';
  readonly checks: {
    readonly postgres: {
      readonly status: 'up' | 'down';
      readonly latency_ms: number;
      readonly error?: string;
    };
  };
}

/** Liveness without I/O; readiness is PostgreSQL answering `SELECT 1` in time. */
@Controller()
export class HealthController {
  constructor(private readonly store: RegistryStore) {}

  @Get('healthz')
  liveness(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readiness(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessResponse> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.store.ping(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${READINESS_TIMEOUT_MS} ms`)),
            READINESS_TIMEOUT_MS,
          );
        }),
      ]);
      return { status: 'ok', checks: { postgres: { status: 'up', latency_ms: elapsed(started) } } };
    } catch (err) {
      void reply.status(503);
      const error = err instanceof Error ? err.message : String(err);
      return {
        status: 'unavailable',
        checks: { postgres: { status: 'down', latency_ms: elapsed(started), error } },
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

const elapsed = (started: number): number => Math.round((performance.now() - started) * 100) / 100;
