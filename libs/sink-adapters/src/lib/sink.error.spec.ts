import { SinkError, isSinkError, nodeErrorCode } from './sink.error';

describe(SinkError.name, () => {
  it('is retriable by default only for transient codes', () => {
    expect(new SinkError('CONNECTION', 'x').retriable).toBe(true);
    expect(new SinkError('SERIALIZATION', 'x').retriable).toBe(true);
    expect(new SinkError('SYNTAX', 'x').retriable).toBe(false);
    expect(new SinkError('SYNTAX', 'x', { retriable: true }).retriable).toBe(true);
    expect(isSinkError(new SinkError('IO', 'x'))).toBe(true);
    expect(isSinkError(new Error('x'))).toBe(false);
  });
});

describe(nodeErrorCode.name, () => {
  it('finds socket errors inside an AggregateError', () => {
    const inner = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    expect(nodeErrorCode(new AggregateError([inner], 'all failed'))).toBe('CONNECTION');
    expect(nodeErrorCode(Object.assign(new Error('t'), { code: 'ETIMEDOUT' }))).toBe('TIMEOUT');
    expect(nodeErrorCode(new Error('syntax'))).toBeUndefined();
  });
});
