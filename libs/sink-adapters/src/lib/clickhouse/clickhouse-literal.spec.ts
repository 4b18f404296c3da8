import { SinkError } from '../sink.error';
import { bindParams, escapeString, quoteIdentifier, renderLiteral } from './clickhouse-literal';

describe(renderLiteral.name, () => {
  describe('String', () => {
    it.each([
      ['plain', "'plain'"],
      ["it's", "'it\\'s'"],
      ['back\\slash', "'back\\\\slash'"],
      ["a\\'b", "'a\\\\\\'b'"],
      ['nul\0byte', "'nul\\0byte'"],
      ['line\nbreak\r\n', "'line\\nbreak\\r\\n'"],
      ['tab\t', "'tab\\t'"],
      ['bell\b\f', "'bell\\b\\f'"],
      ['', "''"],
      ['日本語 🚀 žluťoučký', "'日本語 🚀 žluťoučký'"],
      ["'; DROP TABLE t; --", "'\\'; DROP TABLE t; --'"],
      ['\\', "'\\\\'"],
      ["\\'", "'\\\\\\''"],
    ])('renders %j as %s', (value, expected) => {
      expect(renderLiteral(value, 'String')).toBe(expected);
    });

    it('never leaves an unescaped quote that could end the literal', () => {
      for (const s of ["'", "\\'", "\\\\'", "a'b'c", "\\\\\\'"]) {
        const body = renderLiteral(s, 'String').slice(1, -1);
        // Every quote in the body is preceded by an odd number of backslashes.
        for (const m of body.matchAll(/(\\*)'/g)) expect(m[1].length % 2).toBe(1);
      }
    });

    it('renders numbers and dates given for a String as text', () => {
      expect(renderLiteral(42, 'String')).toBe("'42'");
      expect(renderLiteral(new Date(0), 'String')).toBe("'1970-01-01T00:00:00.000Z'");
    });
  });

  describe('integers', () => {
    it.each([
      [42, 'Int64', '42'],
      [-7, 'Int32', '-7'],
      [BigInt('9223372036854775807'), 'Int64', '9223372036854775807'],
      ['123', 'UInt64', '123'],
      [true, 'UInt8', '1'],
      [new Date(1500), 'Int64', '1500'],
    ])('renders %p as %s %s', (value, type, expected) => {
      expect(renderLiteral(value, type)).toBe(expected);
    });

    it.each([1.5, '1 OR 1=1', '12abc', "1'", NaN])('rejects %p', (value) => {
      expect(() => renderLiteral(value, 'Int64')).toThrow(SinkError);
    });
  });

  describe('floats', () => {
    it.each([
      [1.5, '1.5'],
      [-0.25, '-0.25'],
      [NaN, 'nan'],
      [Infinity, 'inf'],
      [-Infinity, '-inf'],
      ['2.5', '2.5'],
    ])('renders %p as %s', (value, expected) => {
      expect(renderLiteral(value, 'Float64')).toBe(expected);
    });

    it('rejects text that is not a number', () => {
      expect(() => renderLiteral('1; DROP', 'Float64')).toThrow(SinkError);
    });
  });

  describe('times', () => {
    const ms = Date.UTC(2024, 0, 2, 3, 4, 5, 678);

    it('renders DateTime64(3) with milliseconds in UTC', () => {
      expect(renderLiteral(ms, 'DateTime64(3)')).toBe(
        "toDateTime64('2024-01-02 03:04:05.678', 3, 'UTC')",
      );
      expect(renderLiteral(new Date(ms), "DateTime64(3, 'UTC')")).toBe(
        "toDateTime64('2024-01-02 03:04:05.678', 3, 'UTC')",
      );
    });

    it('renders DateTime and Date', () => {
      expect(renderLiteral(ms, 'DateTime')).toBe("toDateTime('2024-01-02 03:04:05', 'UTC')");
      expect(renderLiteral('2024-01-02', 'Date')).toBe("toDate('2024-01-02')");
    });

    it('rejects a string that is not a time', () => {
      expect(() => renderLiteral("x') OR 1=1 --", 'DateTime')).toThrow(SinkError);
    });
  });

  describe('Nullable', () => {
    it('renders null as NULL only for a Nullable type', () => {
      expect(renderLiteral(null, 'Nullable(String)')).toBe('NULL');
      expect(renderLiteral('a', 'Nullable(String)')).toBe("'a'");
      expect(() => renderLiteral(null, 'String')).toThrow(SinkError);
    });
  });

  describe('Identifier', () => {
    it('backquotes a valid identifier and rejects anything else', () => {
      expect(renderLiteral('events', 'Identifier')).toBe('`events`');
      expect(() => renderLiteral('events`; DROP', 'Identifier')).toThrow(SinkError);
    });
  });

  it('rejects a type it does not know', () => {
    expect(() => renderLiteral('x', 'Array(String)')).toThrow(SinkError);
  });
});

describe(bindParams.name, () => {
  it('replaces every placeholder with its typed literal', () => {
    expect(
      bindParams('SELECT * FROM t WHERE a = {a:String} AND b > {b:Int64} AND c = {a:String}', {
        a: "x'y",
        b: 3,
      }),
    ).toBe("SELECT * FROM t WHERE a = 'x\\'y' AND b > 3 AND c = 'x\\'y'");
  });

  it('fails on a placeholder without a value', () => {
    expect(() => bindParams('SELECT {a:String}', {})).toThrow(/has no value/);
  });

  it('does not re-expand placeholders that appear inside a value', () => {
    expect(bindParams('SELECT {a:String}, {b:String}', { a: '{b:String}', b: 'x' })).toBe(
      "SELECT '{b:String}', 'x'",
    );
  });
});

describe(quoteIdentifier.name, () => {
  it('backquotes', () => expect(quoteIdentifier('t1')).toBe('`t1`'));
  it('rejects backquotes inside', () => expect(() => quoteIdentifier('a`b')).toThrow(SinkError));
});

describe(escapeString.name, () => {
  it('keeps astral characters whole', () => expect(escapeString('🚀')).toBe('🚀'));
});
