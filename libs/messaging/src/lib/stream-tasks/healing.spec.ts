import { KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import { brokerProtocolError as protocolError, toMessagingError } from '../messaging.error';
import { canHeal } from './healing';

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
