import { backoffDelay, type BackoffOptions } from './backoff';
import { toMessagingError } from './messaging.error';

/**
 * Between attempts to start a consumer again after a crash the client did not recover from,
 * and to re-initialize a stream task.
 */
export const CONSUMER_RESTART_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000 };

/**
 * Whether a consumer or a stream task can carry on after `error`: a transient failure heals
 * with a retry, and being fenced is how a partition that moved to another instance (a
 * rebalance) shows itself to a stream task, as transactional ids belong to partitions. What
 * is left (authorization, a configuration the broker refuses) cannot heal.
 */
export function canHeal(error: unknown): boolean {
  const e = toMessagingError(error);
  return e.retriable || isFenced(e);
}

/**
 * kafkajs wraps what it gives up on (retries exhausted, a consumer crash): the fencing may sit
 * deeper in the causes.
 */
function isFenced(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (FENCED.has(toMessagingError(e).code)) return true;
  }
  return false;
}

const FENCED: ReadonlySet<string> = new Set([
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'INVALID_PRODUCER_ID_MAPPING',
]);

export interface RestartOptions {
  /** Default `CONSUMER_RESTART_BACKOFF`. */
  readonly backoff?: BackoffOptions;
  /** True once the owner is stopping: no further attempt starts. */
  readonly stopped: () => boolean;
  /** Starts the new consumer; resolves once it runs. */
  readonly attempt: () => Promise<void>;
  /** An attempt failed: true to try again after the next backoff, false to give up. */
  readonly failed: (error: unknown, attempt: number) => boolean;
}

/**
 * Starts a consumer again after a crash its client will not recover from: waits the backoff,
 * runs `attempt`, and repeats until one succeeds, the owner stops, or `failed` gives up.
 * Resolves with the number of the attempt that succeeded, or undefined.
 */
export async function restartWithBackoff(options: RestartOptions): Promise<number | undefined> {
  const backoff = options.backoff ?? CONSUMER_RESTART_BACKOFF;
  for (let attempt = 1; !options.stopped(); attempt++) {
    await new Promise((r) => setTimeout(r, backoffDelay(attempt, backoff)));
    if (options.stopped()) return undefined;
    try {
      await options.attempt();
      return attempt;
    } catch (error) {
      if (!options.failed(error, attempt)) return undefined;
    }
  }
  return undefined;
}
