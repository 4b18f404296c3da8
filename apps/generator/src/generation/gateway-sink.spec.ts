import { readBatchAnswer } from './gateway-sink';

describe(readBatchAnswer.name, () => {
  it('reads per-event results: accepted and duplicate ok, rejected fail, failed retry', () => {
    const answer = readBatchAnswer(
      503,
      {
        results: [
          { index: 0, status: 'accepted' },
          { index: 1, status: 'duplicate' },
          {
            index: 2,
            status: 'rejected',
            failures: [{ field: 'revenue', reason: 'expected a number' }],
          },
          { index: 3, status: 'failed', failures: [{ field: '$', reason: 'no ack' }] },
        ],
      },
      4,
      '2',
    );
    expect(answer).toEqual({
      retryAfterMs: 2000,
      outcomes: [
        { kind: 'ok' },
        { kind: 'ok' },
        { kind: 'fail', reason: 'rejected by the gateway: revenue: expected a number' },
        { kind: 'retry', reason: '$: no ack' },
      ],
    });
  });

  it('retries a whole batch on 429 and 5xx, honouring Retry-After', () => {
    const body = { error: { code: 'RATE_LIMITED', message: 'slow down' } };
    expect(readBatchAnswer(429, body, 2, '3')).toEqual({
      retryAfterMs: 3000,
      outcomes: [
        { kind: 'retry', reason: 'HTTP 429 RATE_LIMITED: slow down' },
        { kind: 'retry', reason: 'HTTP 429 RATE_LIMITED: slow down' },
      ],
    });
    expect(readBatchAnswer(502, undefined, 1, null).outcomes).toEqual([
      { kind: 'retry', reason: 'HTTP 502' },
    ]);
  });

  it('fails a whole batch on other 4xx answers', () => {
    const body = { error: { code: 'FORBIDDEN', message: 'this write key was revoked' } };
    expect(readBatchAnswer(403, body, 1, null).outcomes).toEqual([
      { kind: 'fail', reason: 'HTTP 403 FORBIDDEN: this write key was revoked' },
    ]);
  });
});
