import { capturingLogger } from '../testing/log-capture';
import { Logged, Retry, Timed } from './decorators';
import { logged } from './logged';
import { stopwatch, timed } from './timed';

describe(timed.name, () => {
  it('returns the result and logs "<name> completed in Xs" with the duration', async () => {
    const { logger, capture } = capturingLogger();
    await expect(timed('process_data', async () => 42, { logger })).resolves.toBe(42);

    const [line] = capture.records();
    expect(line).toMatchObject({ level: 'info', event: 'timed', op: 'process_data', ok: true });
    expect(typeof line['duration_s']).toBe('number');
    expect(line['msg']).toMatch(/^process_data completed in \d+\.\d{3}s$/);
  });

  it('logs the failure at warn and rethrows the same error', async () => {
    const { logger, capture } = capturingLogger();
    const boom = new Error('boom');
    await expect(timed('load', () => Promise.reject(boom), { logger })).rejects.toBe(boom);
    expect(capture.records()[0]).toMatchObject({
      level: 'warn',
      op: 'load',
      ok: false,
      error: 'boom',
    });
    expect(capture.records()[0]['msg']).toMatch(/^load failed after \d+\.\d{3}s$/);
  });

  it('measures the time the work took', async () => {
    const { logger, capture } = capturingLogger();
    await timed('sleep', () => new Promise((resolve) => setTimeout(resolve, 30)), { logger });
    expect(capture.records()[0]['duration_s']).toBeGreaterThanOrEqual(0.02);
  });
});

describe(stopwatch.name, () => {
  it('returns elapsed seconds', async () => {
    const stop = stopwatch();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stop()).toBeGreaterThan(0.01);
  });
});

describe(logged.name, () => {
  it('logs entry and exit around the call', async () => {
    const { logger, capture } = capturingLogger();
    await expect(logged('process_event', () => 'done', { logger })).resolves.toBe('done');
    expect(capture.records().map((line) => [line['phase'], line['msg']])).toEqual([
      ['enter', 'Calling process_event'],
      ['exit', 'process_event returned'],
    ]);
    expect(capture.records()[0]['level']).toBe('debug');
  });

  it('logs a throw and rethrows', async () => {
    const { logger, capture } = capturingLogger();
    await expect(
      logged('explode', () => Promise.reject(new Error('x')), { logger }),
    ).rejects.toThrow('x');
    expect(capture.records().map((line) => line['phase'])).toEqual(['enter', 'throw']);
  });
});

describe('method decorators', () => {
  const { logger, capture } = capturingLogger();

  class Sink {
    calls = 0;

    @Timed(undefined, { logger })
    async flush(rows: number): Promise<number> {
      return rows * 2;
    }

    @Logged('sink.write', { logger, level: 'info' })
    async write(): Promise<string> {
      return 'written';
    }

    @Retry({ maxAttempts: 3, initialMs: 1, jitter: 0, logger })
    async connect(): Promise<number> {
      this.calls += 1;
      if (this.calls < 3) throw Object.assign(new Error('refused'), { retriable: true });
      return this.calls;
    }
  }

  beforeEach(() => capture.lines.splice(0));

  it('@Timed keeps `this` and arguments and names the op Class.method', async () => {
    await expect(new Sink().flush(4)).resolves.toBe(8);
    expect(capture.records()[0]).toMatchObject({ op: 'Sink.flush', event: 'timed' });
  });

  it('@Logged logs entry and exit under the given name', async () => {
    await expect(new Sink().write()).resolves.toBe('written');
    expect(capture.records().map((line) => line['msg'])).toEqual([
      'Calling sink.write',
      'sink.write returned',
    ]);
  });

  it('@Retry retries the method on the same instance', async () => {
    const sink = new Sink();
    await expect(sink.connect()).resolves.toBe(3);
    expect(capture.records().filter((line) => line['event'] === 'retry')).toHaveLength(2);
  });
});
