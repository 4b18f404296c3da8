import { KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import { canHeal, restartWithBackoff } from './consumer-restart';
import { brokerProtocolError as protocolError, toMessagingError } from './messaging.error';

/** What the broker answers a producer whose transactional id another instance took over. */
const oldEpoch = () => protocolError('INVALID_PRODUCER_EPOCH', 47, false);

const exhausted = (cause: Error) =>
  new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 100 });

describe('canHeal', () => {
  it('heals a fencing error as the broker sends it', () => {
    expect(canHeal(oldEpoch())).toBe(true);
  });

  it('heals a fencing error that kafkajs wrapped on its way to a consumer crash', () => {
    // The runtime's own wrapping, then kafkajs' retrier giving up on it.
    const crashed = exhausted(toMessagingError(oldEpoch(), 'commit transaction'));
    expect(canHeal(crashed)).toBe(true);
    const nonRetriable = KafkaJSNonRetriableError as unknown as new (
      e: Error,
      options: { cause: Error },
    ) => Error;
    expect(canHeal(new nonRetriable(crashed, { cause: crashed }))).toBe(true);
  });

  it('heals a transient error and refuses one that cannot heal, however wrapped', () => {
    expect(canHeal(protocolError('NOT_LEADER_OR_FOLLOWER', 6, true))).toBe(true);
    const denied = protocolError('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 53, false);
    expect(canHeal(denied)).toBe(false);
    expect(canHeal(exhausted(denied))).toBe(false);
    expect(canHeal(new Error('a bug'))).toBe(false);
  });
});

describe('restartWithBackoff', () => {
  const backoff = { initialMs: 1, maxMs: 2 };

  it('tries again after each failure until an attempt succeeds, and says which one did', async () => {
    const failures: number[] = [];
    let calls = 0;
    const attempt = await restartWithBackoff({
      backoff,
      stopped: () => false,
      attempt: async () => {
        calls++;
        if (calls < 3) throw new Error(`refused ${calls}`);
      },
      failed: (_error, n) => {
        failures.push(n);
        return true;
      },
    });
    expect(attempt).toBe(3);
    expect(failures).toEqual([1, 2]);
  });

  it('gives up when told to, and starts no attempt once stopped', async () => {
    let calls = 0;
    const givenUp = await restartWithBackoff({
      backoff,
      stopped: () => false,
      attempt: () => Promise.reject(new Error(`denied ${++calls}`)),
      failed: () => false,
    });
    expect(givenUp).toBeUndefined();
    expect(calls).toBe(1);

    // stop() during the first attempt: no second one, however retriable the failure.
    let stopped = false;
    let attempts = 0;
    const afterStop = await restartWithBackoff({
      backoff,
      stopped: () => stopped,
      attempt: () => {
        attempts++;
        stopped = true;
        return Promise.reject(new Error('refused'));
      },
      failed: () => true,
    });
    expect(afterStop).toBeUndefined();
    expect(attempts).toBe(1);
  });
});
