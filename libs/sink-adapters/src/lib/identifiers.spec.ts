import { assertIdentifier, isIdentifier } from './identifiers';
import { SinkError } from './sink.error';

describe(isIdentifier.name, () => {
  it.each(['a', '_x', 'events_page_view', 'A1_b2', 'x'.repeat(63)])('accepts %s', (name) => {
    expect(isIdentifier(name)).toBe(true);
  });

  it.each(['', '1a', 'a-b', 'a b', 'a.b', 'a`b', 'a"b', "a'b", 'é', 'x'.repeat(64), 'a;b', 'a\0'])(
    'rejects %j',
    (name) => {
      expect(isIdentifier(name)).toBe(false);
    },
  );
});

describe(assertIdentifier.name, () => {
  it('throws a non-retriable INVALID_IDENTIFIER SinkError', () => {
    const error = (() => {
      try {
        assertIdentifier('x`; DROP', 'table');
      } catch (e) {
        return e;
      }
    })() as SinkError;
    expect(error).toBeInstanceOf(SinkError);
    expect(error.code).toBe('INVALID_IDENTIFIER');
    expect(error.retriable).toBe(false);
  });
});
