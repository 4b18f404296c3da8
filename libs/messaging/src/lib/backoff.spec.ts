import { errorCode, isRetriable } from './backoff';
import { MessagingError } from './messaging.error';

describe(isRetriable.name, () => {
  it('trusts the retriable flag of platform errors and treats anything else as final', () => {
    expect(isRetriable(new MessagingError('KAFKA_CONNECTION', 'x', { retriable: true }))).toBe(
      true,
    );
    expect(isRetriable(new MessagingError('CONFIG_INVALID', 'x', { retriable: false }))).toBe(
      false,
    );
    expect(isRetriable(new Error('plain'))).toBe(false);
    expect(isRetriable('text')).toBe(false);
  });

  it('reads an error code or falls back', () => {
    expect(errorCode({ code: 'DECODE_FAILED' }, 'X')).toBe('DECODE_FAILED');
    expect(errorCode(new Error('e'), 'X')).toBe('X');
  });
});
