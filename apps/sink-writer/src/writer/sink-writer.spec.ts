import type { PlannedRow } from '@platform/sink-adapters';
import { batchIdOf } from './sink-writer';

const rows = (coords: readonly [string, number, number][]): PlannedRow[] =>
  coords.map(([topic, partition, offset]) => ({
    record: { topic, partition, offset: String(offset), value: {}, headers: {} },
    row: {},
  }));

describe(batchIdOf.name, () => {
  it('gives the same rows the same id', () => {
    const a = rows([
      ['t', 0, 5],
      ['t', 0, 6],
      ['t', 1, 2],
    ]);
    expect(batchIdOf('x', a)).toBe(
      batchIdOf(
        'x',
        rows([
          ['t', 0, 5],
          ['t', 0, 6],
          ['t', 1, 2],
        ]),
      ),
    );
    expect(batchIdOf('x', a)).toMatch(/^[0-9a-f]{24}$/);
  });

  it('gives different rows, tables or orders different ids', () => {
    const ids = [
      batchIdOf(
        'x',
        rows([
          ['t', 0, 5],
          ['t', 0, 6],
        ]),
      ),
      batchIdOf(
        'x',
        rows([
          ['t', 0, 5],
          ['t', 0, 7],
        ]),
      ),
      batchIdOf('x', rows([['t', 0, 5]])),
      batchIdOf(
        'x',
        rows([
          ['t', 0, 5],
          ['t', 0, 6],
          ['t', 0, 7],
        ]),
      ),
      batchIdOf(
        'x',
        rows([
          ['t', 0, 6],
          ['t', 0, 5],
        ]),
      ),
      batchIdOf(
        'x',
        rows([
          ['t', 0, 5],
          ['t', 1, 6],
        ]),
      ),
      batchIdOf(
        'x',
        rows([
          ['u', 0, 5],
          ['u', 0, 6],
        ]),
      ),
      batchIdOf(
        'y',
        rows([
          ['t', 0, 5],
          ['t', 0, 6],
        ]),
      ),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });
});
