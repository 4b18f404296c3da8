import type { INestApplicationContext } from '@nestjs/common';
import { rootLogger } from '../logging/logger';
import { shutdownTelemetry } from '../telemetry/telemetry';
import { DrainService } from './drain.service';

export interface GracefulShutdownOptions {
  /** How long to wait for in-flight work. Default: the module's `drainTimeoutMs` (25 s). */
  readonly timeoutMs?: number;
  /** Default SIGTERM and SIGINT. */
  readonly signals?: readonly NodeJS.Signals[];
  /**
   * Time to keep serving with readiness down before closing, so load balancers notice.
   * Default 0; a few seconds behind a Kubernetes Service without a preStop hook.
   */
  readonly shutdownDelayMs?: number;
  /** Exit the process when done (0, or 1 if closing failed). Default true. */
  readonly exit?: boolean;
  /** Hard stop if the whole sequence hangs. Default drain timeout + 10 s. */
  readonly forceExitAfterMs?: number;
}

function drainServiceOf(app: INestApplicationContext): DrainService | undefined {
  try {
    return app.get(DrainService, { strict: false });
  } catch {
    return undefined;
  }
}

/**
 * Replaces `app.enableShutdownHooks()` (do not use both). On the first signal: readiness
 * turns 503, in-flight work is awaited (bounded), then `app.close()` runs every Nest hook
 * (`onModuleDestroy`, `beforeApplicationShutdown`, HTTP server close,
 * `onApplicationShutdown`), telemetry is flushed, and the process exits with 0.
 * Later signals are ignored. Returns a function that removes the signal handlers.
 */
export function installGracefulShutdown(
  app: INestApplicationContext,
  options: GracefulShutdownOptions = {},
): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let started = false;

  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (started) return;
    started = true;
    const logger = rootLogger();
    const drain = drainServiceOf(app);
    const timeoutMs = options.timeoutMs ?? drain?.timeoutMs ?? 25_000;
    const forceAfter =
      options.forceExitAfterMs ?? timeoutMs + (options.shutdownDelayMs ?? 0) + 10_000;
    if (options.exit !== false) {
      setTimeout(() => {
        logger.error({ event: 'shutdown.forced', after_ms: forceAfter }, 'Shutdown hung; exiting');
        process.exit(1);
      }, forceAfter).unref();
    }

    logger.info({ event: 'shutdown.signal', signal }, `Received ${signal}, shutting down`);
    let code = 0;
    try {
      drain?.startDraining(signal);
      if (options.shutdownDelayMs !== undefined && options.shutdownDelayMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, options.shutdownDelayMs));
      }
      await drain?.drain(timeoutMs);
      await app.close();
      logger.info({ event: 'shutdown.closed', signal }, 'Application closed');
    } catch (error) {
      code = 1;
      logger.error({ event: 'shutdown.failed', err: error }, 'Error while shutting down');
    }
    await shutdownTelemetry();
    remove();
    if (options.exit !== false) process.exit(code);
  };

  const handler = (signal: NodeJS.Signals): void => {
    void shutdown(signal);
  };
  for (const signal of signals) process.on(signal, handler);
  const remove = (): void => {
    for (const signal of signals) process.removeListener(signal, handler);
  };
  return remove;
}
