import {
  clickhouseIndicator,
  indicator,
  postgresIndicator,
  runIndicator,
  runReadiness,
} from './health-indicator';
import { ReadinessRegistry } from './readiness.registry';

describe(runIndicator.name, () => {
  it('reports up with its latency and details', async () => {
    const result = await runIndicator({ name: 'x', check: async () => ({ brokers: 3 }) });
    expect(result).toMatchObject({ status: 'up', brokers: 3 });
    expect(result.latency_ms).toBeGreaterThanOrEqual(0);
    expect(result.error).toBeUndefined();
  });

  it('reports down with the error message', async () => {
    const result = await runIndicator(
      indicator('db', () => Promise.reject(new Error('ECONNREFUSED'))),
    );
    expect(result).toMatchObject({ status: 'down', error: 'ECONNREFUSED' });
  });

  it('gives up on a hanging check after its timeout', async () => {
    // The check never settles: only the indicator's own timeout can produce this answer.
    const result = await runIndicator({
      name: 'slow',
      timeoutMs: 50,
      check: () => new Promise(() => undefined),
    });
    expect(result).toMatchObject({ status: 'down', error: 'slow: no answer within 50 ms' });
  });

  it('falls back to the default timeout when the indicator has none', async () => {
    const result = await runIndicator(
      { name: 'slow', check: () => new Promise(() => undefined) },
      30,
    );
    expect(result.error).toContain('30 ms');
  });
});

describe(runReadiness.name, () => {
  it('is ok only when every check is up', async () => {
    const up = indicator('a', async () => undefined);
    const down = indicator('b', () => Promise.reject(new Error('nope')));
    await expect(runReadiness([up])).resolves.toMatchObject({
      status: 'ok',
      checks: { a: { status: 'up' } },
    });
    await expect(runReadiness([up, down])).resolves.toMatchObject({
      status: 'error',
      checks: { a: { status: 'up' }, b: { status: 'down', error: 'nope' } },
    });
  });
});

describe('indicator factories', () => {
  it('postgresIndicator runs SELECT 1 through a pool-like object or a function', async () => {
    const pool = { query: jest.fn().mockResolvedValue({ rows: [{ '?column?': 1 }] }) };
    await expect(runIndicator(postgresIndicator(pool))).resolves.toMatchObject({ status: 'up' });
    expect(pool.query).toHaveBeenCalledWith('SELECT 1');

    const fn = jest.fn().mockRejectedValue(new Error('password authentication failed'));
    const result = await runIndicator(postgresIndicator(fn, { name: 'pg-main' }));
    expect(result).toMatchObject({ status: 'down', error: 'password authentication failed' });
    expect(postgresIndicator(fn, { name: 'pg-main' }).name).toBe('pg-main');
  });

  it('clickhouseIndicator treats a { success: false } ping as down', async () => {
    const down = clickhouseIndicator({
      ping: async () => ({ success: false, error: new Error('ECONNREFUSED') }),
    });
    await expect(runIndicator(down)).resolves.toMatchObject({
      status: 'down',
      error: 'ECONNREFUSED',
    });
    const up = clickhouseIndicator(async () => ({ success: true }));
    await expect(runIndicator(up)).resolves.toMatchObject({ status: 'up' });
    expect(up.name).toBe('clickhouse');
  });
});

describe(ReadinessRegistry.name, () => {
  it('holds the initial and registered indicators and refuses duplicate names', () => {
    const registry = new ReadinessRegistry([indicator('a', async () => undefined)]);
    registry.register(indicator('b', async () => undefined));
    expect(registry.list().map((i) => i.name)).toEqual(['a', 'b']);
    expect(() => registry.register(indicator('a', async () => undefined))).toThrow(
      /already registered/,
    );
    expect(registry.unregister('a')).toBe(true);
    expect(registry.list().map((i) => i.name)).toEqual(['b']);
  });
});
