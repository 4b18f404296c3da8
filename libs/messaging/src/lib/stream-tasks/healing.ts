import { toMessagingError } from '../messaging.error';

/**
 * Whether a stream task can carry on after `error`: a transient failure heals with a retry,
 * and being fenced is how a partition that moved to another instance (a rebalance) shows
 * itself here, as transactional ids belong to partitions. What is left (authorization, a
 * configuration the broker refuses) cannot heal.
 */
export function canHeal(error: unknown): boolean {
  const e = toMessagingError(error);
  return e.retriable || isFenced(e);
}

/** kafkajs wraps what it gives up on (retries exhausted, a consumer crash): the fencing may sit deeper in the causes. */
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
