import { randomEventId } from './event-id';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe(randomEventId.name, () => {
  // Several refills of the pool (256 ids each), so ids across refills are covered too.
  const ids = Array.from({ length: 5_000 }, () => randomEventId());

  it('makes version 4 UUIDs, never the same twice', () => {
    for (const id of ids) expect(id).toMatch(V4);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('varies every random hex digit', () => {
    // 122 random bits: each digit outside the fixed version and variant takes many values.
    for (let position = 0; position < 36; position++) {
      if ([8, 13, 14, 18, 23].includes(position)) continue;
      const seen = new Set(ids.map((id) => id[position]));
      expect([position, seen.size >= (position === 19 ? 4 : 16)]).toEqual([position, true]);
    }
  });
});
