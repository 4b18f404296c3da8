import { clickHouseFeatures } from './clickhouse-features';
import { tabSeparatedChunks, tabSeparatedField } from './clickhouse-tsv';

const OLD = clickHouseFeatures('18.16.1');
const CURRENT = clickHouseFeatures('26.7.1');

describe(tabSeparatedField.name, () => {
  it('escapes backslashes, tabs, newlines and control characters in strings', () => {
    expect(tabSeparatedField('string', 'a\\b\tc\nd\re\0f\bg\fh', OLD)).toBe(
      'a\\\\b\\tc\\nd\\re\\0f\\bg\\fh',
    );
    expect(tabSeparatedField('string', 'plain, "quoted" \'x\' ünï', OLD)).toBe(
      'plain, "quoted" \'x\' ünï',
    );
  });

  it('writes NULL as \\N and an empty string as nothing', () => {
    expect(tabSeparatedField('string', null, OLD)).toBe('\\N');
    expect(tabSeparatedField('string', '', OLD)).toBe('');
  });

  it('writes times as epoch ms on old servers and as UTC DateTime64 text on current ones', () => {
    const ms = Date.UTC(2024, 1, 29, 23, 59, 59, 999);
    expect(tabSeparatedField('timestamp', ms, OLD)).toBe(String(ms));
    expect(tabSeparatedField('timestamp', ms, CURRENT)).toBe('2024-02-29 23:59:59.999');
  });

  it('writes numbers, non-finite floats, booleans, bigints and dates as ClickHouse reads them', () => {
    expect(tabSeparatedField('double', 1.5, OLD)).toBe('1.5');
    expect(tabSeparatedField('double', NaN, OLD)).toBe('nan');
    expect(tabSeparatedField('double', -Infinity, OLD)).toBe('-inf');
    expect(tabSeparatedField('boolean', true, OLD)).toBe('1');
    expect(tabSeparatedField('long', 9_007_199_254_740_993n, OLD)).toBe('9007199254740993');
    expect(tabSeparatedField('date', '2024-01-31', OLD)).toBe('2024-01-31');
  });
});

describe(tabSeparatedChunks.name, () => {
  it('renders the requested rows in column order, one line each', () => {
    const specs = [
      { name: 'id', type: 'string' as const },
      { name: 'n', type: 'long' as const, nullable: true },
    ];
    const rows = [{ id: 'a', n: 1 }, { id: 'b' }, { id: 'c', n: 3 }];
    expect(Buffer.concat(tabSeparatedChunks(rows, 1, 3, specs, OLD)).toString()).toBe(
      'b\t\\N\nc\t3\n',
    );
  });

  it('rejects a bad value before anything is rendered', () => {
    const specs = [{ name: 'id', type: 'string' as const }];
    expect(() => tabSeparatedChunks([{ id: null }], 0, 1, specs, OLD)).toThrow(/not nullable/);
  });
});
