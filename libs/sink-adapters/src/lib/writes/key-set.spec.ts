import fc from 'fast-check';
import { KeySet } from './key-set';

describe('KeySet', () => {
  it('answers as a Set does for any sequence of keys, through its growth', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.uuid(), fc.constantFrom('', 'a', 'b')), {
          maxLength: 400,
        }),
        fc.integer({ min: 0, max: 50 }),
        (keys, expected) => {
          const ours = new KeySet(expected);
          const reference = new Set<string>();
          for (const key of keys) {
            expect(ours.add(key)).toBe(!reference.has(key));
            reference.add(key);
          }
          expect(ours.size).toBe(reference.size);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses every repeat while it grows from its smallest table', () => {
    const set = new KeySet(1);
    const keys = Array.from({ length: 1_000 }, (_, i) => `k${i % 500}`);
    const added = keys.filter((k) => set.add(k));
    expect(added).toEqual(keys.slice(0, 500));
    expect(set.size).toBe(500);
  });
});
