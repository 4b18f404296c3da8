import fc from 'fast-check';
import { Prng } from './prng';

describe(Prng.name, () => {
  it('gives the same sequence for the same seed and different ones for different seeds', () => {
    const draw = (seed: number): number[] => {
      const rng = new Prng(seed);
      return Array.from({ length: 8 }, () => rng.nextUint32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(1)).not.toEqual(draw(2 ** 32 + 1));
  });

  it('keeps int() within its inclusive bounds and float() within [0, 1)', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: -1e6, max: 1e6 }),
        fc.nat(1e6),
        (seed, lo, span) => {
          const rng = new Prng(seed);
          for (let i = 0; i < 20; i++) {
            const v = rng.int(lo, lo + span);
            const f = rng.float();
            if (!Number.isInteger(v) || v < lo || v > lo + span || f < 0 || f >= 1) return false;
          }
          return true;
        },
      ),
    );
  });

  it('makes version-4-shaped UUIDs', () => {
    const rng = new Prng(7);
    for (let i = 0; i < 100; i++) {
      expect(rng.uuid()).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    }
  });

  it('makes the UUIDs it always made for a seed (hex of four draws, version and variant set)', () => {
    const hex8 = (w: number): string => w.toString(16).padStart(8, '0');
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const draws = new Prng(seed);
        const rng = new Prng(seed);
        for (let i = 0; i < 5; i++) {
          const w0 = hex8(draws.nextUint32());
          const w1 = hex8(((draws.nextUint32() & 0xffff0fff) | 0x00004000) >>> 0);
          const w2 = hex8(((draws.nextUint32() & 0x3fffffff) | 0x80000000) >>> 0);
          const w3 = hex8(draws.nextUint32());
          const expected = `${w0}-${w1.slice(0, 4)}-${w1.slice(4)}-${w2.slice(0, 4)}-${w2.slice(4)}${w3}`;
          expect(rng.uuid()).toBe(expected);
        }
      }),
    );
  });

  it('gives the low n hex digits of a draw, for every n up to 8', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 8 }), (seed, n) => {
        const draw = new Prng(seed).nextUint32();
        expect(new Prng(seed).hex(n)).toBe(
          draw
            .toString(16)
            .padStart(8, '0')
            .slice(8 - n),
        );
      }),
    );
  });

  it('derives children that depend on the label', () => {
    expect(Prng.derive(1, 'a').nextUint32()).toBe(Prng.derive(1, 'a').nextUint32());
    expect(Prng.derive(1, 'a').nextUint32()).not.toBe(Prng.derive(1, 'b').nextUint32());
  });
});
