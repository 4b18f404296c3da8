import fc from 'fast-check';
import { addToPartials, partialsValue } from './exact-sum';

function exactSum(values: readonly number[]): number {
  const partials: number[] = [];
  for (const v of values) addToPartials(partials, v);
  return partialsValue(partials);
}

describe(exactSum.name, () => {
  it('sums without the rounding error of repeated +', () => {
    expect(exactSum(Array.from({ length: 10 }, () => 0.1))).toBe(1);
    expect(exactSum([1e100, 1, -1e100])).toBe(1);
    expect(exactSum([0.1, 0.2, 0.3])).toBe(0.6);
    expect(exactSum([])).toBe(0);
  });

  it('gives the same result for every order of the same values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e200, max: 1e200 }), {
          maxLength: 30,
        }),
        fc.array(fc.nat()),
        (values, keys) => {
          const shuffled = values
            .map((v, i) => ({ v, k: keys[i] ?? i }))
            .sort((a, b) => a.k - b.k)
            .map((x) => x.v);
          expect(exactSum(shuffled)).toBe(exactSum(values));
          expect(exactSum([...values].reverse())).toBe(exactSum(values));
        },
      ),
    );
  });

  it('equals plain addition when plain addition is exact', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1e9, max: 1e9 })), (values) => {
        expect(exactSum(values)).toBe(values.reduce((a, b) => a + b, 0));
      }),
    );
  });
});
