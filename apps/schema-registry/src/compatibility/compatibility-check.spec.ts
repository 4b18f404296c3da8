import { checkAgainst, versionsToCheck } from './compatibility-check';

const record = (fields: readonly Record<string, unknown>[]): string =>
  JSON.stringify({ type: 'record', name: 'R', fields });
const v = (version: number, schemaText = record([{ name: 'a', type: 'string' }])) => ({
  version,
  schemaText,
});

describe(versionsToCheck.name, () => {
  const live = [v(1), v(3), v(4)];

  it.each([
    ['NONE', []],
    ['BACKWARD', [4]],
    ['FORWARD', [4]],
    ['FULL', [4]],
    ['BACKWARD_TRANSITIVE', [1, 3, 4]],
    ['FORWARD_TRANSITIVE', [1, 3, 4]],
    ['FULL_TRANSITIVE', [1, 3, 4]],
  ] as const)('checks %s against versions %j', (level, versions) => {
    expect(versionsToCheck(live, level).map((p) => p.version)).toEqual(versions);
  });

  it('checks nothing for a subject without live versions', () => {
    expect(versionsToCheck([], 'FULL_TRANSITIVE')).toEqual([]);
  });
});

describe(checkAgainst.name, () => {
  const requiredAdded = record([
    { name: 'a', type: 'string' },
    { name: 'b', type: 'int' },
  ]);

  it('names the real version numbers, not positions, in its messages', () => {
    const result = checkAgainst(requiredAdded, [v(3), v(7)], 'BACKWARD_TRANSITIVE');
    expect(result.compatible).toBe(false);
    expect(result.messages.some((m) => m.endsWith('against version 7)'))).toBe(true);
    expect(result.messages.some((m) => m.endsWith('against version 3)'))).toBe(true);
    expect(result.messages.some((m) => /against version [12]\)$/.test(m))).toBe(false);
  });

  it('accepts a field added with a default under BACKWARD', () => {
    const optionalAdded = record([
      { name: 'a', type: 'string' },
      { name: 'b', type: 'int', default: 0 },
    ]);
    expect(checkAgainst(optionalAdded, [v(1)], 'BACKWARD')).toEqual({
      compatible: true,
      messages: [],
    });
  });
});
