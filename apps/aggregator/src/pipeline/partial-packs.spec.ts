import { packPartials } from './partial-packs';

describe(packPartials.name, () => {
  const partial = (n: number): string => JSON.stringify({ start: n, pad: 'x'.repeat(20) });

  it('sends every partial once, in order, as JSON arrays', () => {
    const partials = Array.from({ length: 50 }, (_, i) => partial(i));
    const packs = packPartials(partials, 200);

    expect(packs.length).toBeGreaterThan(1);
    expect(packs.flatMap((p) => JSON.parse(p) as unknown[])).toEqual(
      partials.map((p) => JSON.parse(p) as unknown),
    );
  });

  it('keeps each pack within the limit, counting bytes rather than characters', () => {
    const wide = JSON.stringify({ city: 'Zürich', emoji: '🙂'.repeat(10) });
    const packs = packPartials(
      Array.from({ length: 40 }, () => wide),
      300,
    );

    for (const pack of packs) expect(Buffer.byteLength(pack)).toBeLessThanOrEqual(300);
    expect(packs.flatMap((p) => JSON.parse(p) as unknown[])).toHaveLength(40);
  });

  it('puts a partial larger than the limit in a pack of its own, and sends nothing for none', () => {
    const big = JSON.stringify({ values: 'v'.repeat(500) });

    expect(packPartials([partial(1), big, partial(2)], 100)).toEqual([
      `[${partial(1)}]`,
      `[${big}]`,
      `[${partial(2)}]`,
    ]);
    expect(packPartials([], 100)).toEqual([]);
  });
});
