import { capturingLogger } from '../testing/log-capture';
import { backoffDelay, isRetriableError } from './backoff';
import { retry } from './retry';

class FlakyError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
  ) {
    super(message);
  }
}

describe(retry.name, () => {
  afterEach(() => jest.useRealTimers());

  it('retries retriable errors until the call succeeds', async () => {
    const { logger } = capturingLogger();
    const fn = jest
      .fn<Promise<string>, [number]>()
      .mockRejectedValueOnce(new FlakyError('broker busy', true))
      .mockRejectedValueOnce(new FlakyError('broker busy', true))
      .mockResolvedValue('ok');

    await expect(retry(fn, { maxAttempts: 5, initialMs: 1, jitter: 0, logger })).resolves.toBe(
      'ok',
    );
    expect(fn).toHaveBeenCalledTimes(3);
    expect(fn.mock.calls.map(([attempt]) => attempt)).toEqual([1, 2, 3]);
  });

  it('stops at once on a non-retriable error and rethrows it unchanged', async () => {
    const { logger } = capturingLogger();
    const fatal = new FlakyError('schema mismatch', false);
    const fn = jest.fn().mockRejectedValue(fatal);

    await expect(retry(fn, { maxAttempts: 5, initialMs: 1, logger })).rejects.toBe(fatal);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('treats errors without retriable: true as non-retriable by default', async () => {
    const fn = jest.fn().mockRejectedValue(new Error('plain'));
    await expect(retry(fn, { initialMs: 1, logger: capturingLogger().logger })).rejects.toThrow(
      'plain',
    );
    expect(fn).toHaveBeenCalledTimes(1);
    expect(isRetriableError({ retriable: true })).toBe(true);
    expect(isRetriableError({ retriable: 'yes' })).toBe(false);
    expect(isRetriableError(null)).toBe(false);
  });

  it('respects maxAttempts and rethrows the last error', async () => {
    const { logger } = capturingLogger();
    const errors = [1, 2, 3].map((n) => new FlakyError(`fail ${n}`, true));
    const fn = jest.fn(async (attempt: number) => {
      throw errors[attempt - 1];
    });

    await expect(retry(fn, { maxAttempts: 3, initialMs: 1, jitter: 0, logger })).rejects.toBe(
      errors[2],
    );
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('uses a custom isRetriable predicate', async () => {
    const fn = jest.fn().mockRejectedValueOnce(new Error('ECONNRESET')).mockResolvedValue(7);
    await expect(
      retry(fn, {
        isRetriable: (error) => error instanceof Error && error.message === 'ECONNRESET',
        initialMs: 1,
        logger: capturingLogger().logger,
      }),
    ).resolves.toBe(7);
  });

  it('waits an exponential, capped sequence of delays between attempts', async () => {
    jest.useFakeTimers();
    const { logger } = capturingLogger();
    const delays: number[] = [];
    const fn = jest.fn(async () => {
      throw new FlakyError('busy', true);
    });

    const outcome = retry(fn, {
      maxAttempts: 6,
      initialMs: 100,
      multiplier: 2,
      maxMs: 500,
      jitter: 0,
      logger,
      onRetry: ({ delayMs }) => delays.push(delayMs),
    });
    const settled = outcome.catch((error: unknown) => error);

    // Nothing happens before each delay has fully elapsed.
    await jest.advanceTimersByTimeAsync(0);
    expect(fn).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(99);
    expect(fn).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(fn).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(200 + 400 + 500 + 500);

    await expect(settled).resolves.toBeInstanceOf(FlakyError);
    expect(fn).toHaveBeenCalledTimes(6);
    expect(delays).toEqual([100, 200, 400, 500, 500]);
  });

  it('logs one warn line per retry with the attempt, delay and error', async () => {
    const { logger, capture } = capturingLogger();
    const fn = jest
      .fn()
      .mockRejectedValueOnce(new FlakyError('broker busy', true))
      .mockResolvedValue(1);

    await retry(fn, { name: 'send batch', initialMs: 3, jitter: 0, logger });

    const lines = capture.records().filter((line) => line['event'] === 'retry');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        op: 'send batch',
        attempt: 1,
        max_attempts: 3,
        delay_ms: 3,
        error: 'broker busy',
        msg: 'send batch failed (attempt 1/3), retrying in 3 ms',
      }),
    ]);
  });

  it('stops waiting and rethrows when aborted', async () => {
    const controller = new AbortController();
    const error = new FlakyError('busy', true);
    const fn = jest.fn().mockRejectedValue(error);
    const outcome = retry(fn, {
      initialMs: 60_000,
      signal: controller.signal,
      logger: capturingLogger().logger,
    });
    setTimeout(() => controller.abort(), 5);
    await expect(outcome).rejects.toBe(error);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

describe(backoffDelay.name, () => {
  it('doubles from 200 ms up to 10 s without jitter by default', () => {
    expect([1, 2, 3, 7, 8].map((n) => backoffDelay(n))).toEqual([200, 400, 800, 10_000, 10_000]);
  });

  it('grows by the multiplier from the initial delay and stops at the cap', () => {
    const options = { initialMs: 50, multiplier: 3, maxMs: 1_000, jitter: 0 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, options))).toEqual([
      50, 150, 450, 1_000, 1_000,
    ]);
  });

  it('takes off at most the jitter share of the delay and never exceeds the cap', () => {
    const options = { initialMs: 1_000, maxMs: 1_000, jitter: 0.5 };
    expect(backoffDelay(1, options, () => 0)).toBe(1_000);
    expect(backoffDelay(1, options, () => 0.999_999)).toBe(500);
    for (let i = 0; i < 100; i += 1) {
      const delay = backoffDelay(3, options);
      expect(delay).toBeGreaterThanOrEqual(500);
      expect(delay).toBeLessThanOrEqual(1_000);
    }
  });
});
