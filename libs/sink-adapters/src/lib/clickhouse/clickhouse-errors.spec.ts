import { toClickHouseSinkError } from './clickhouse-errors';

describe(toClickHouseSinkError.name, () => {
  const withCode = (code: string): Error =>
    Object.assign(new Error(`Code: ${code}. boom`), { code });

  it.each([
    ['62', 'SYNTAX', false],
    ['60', 'UNKNOWN_TABLE', false],
    ['53', 'TYPE', false],
    ['115', 'SYNTAX', false],
    ['202', 'TOO_MANY_CONNECTIONS', true],
    ['159', 'TIMEOUT', true],
    ['210', 'CONNECTION', true],
    ['252', 'TOO_MANY_CONNECTIONS', true],
  ])('server code %s is %s (retriable: %s)', (code, expected, retriable) => {
    const error = toClickHouseSinkError(withCode(code), 'test');
    expect([error.code, error.retriable]).toEqual([expected, retriable]);
  });

  it('treats connection refused and resets as retriable', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET']) {
      const error = toClickHouseSinkError(Object.assign(new Error(code), { code }), 'insert');
      expect([error.code, error.retriable]).toEqual(['CONNECTION', true]);
    }
    const timeout = toClickHouseSinkError(new Error('Timeout error.'), 'insert');
    expect([timeout.code, timeout.retriable]).toEqual(['TIMEOUT', true]);
  });

  it('keeps the original error as the cause', () => {
    const original = withCode('62');
    expect(toClickHouseSinkError(original, 'q').cause).toBe(original);
  });
});
