import fc from 'fast-check';
import { deepMerge, deepMergeAll } from './deep-merge';
import { isPlainObject, leaves } from './path';

/**
 * Trees whose keys fix their kind: `m*` keys always hold maps, other keys leaves. With
 * shapes that agree, merging is a true monoid; with clashing shapes it is only "last wins".
 */
const leafValue = fc.oneof(
  fc.integer(),
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
);
const { tree } = fc.letrec((tie) => ({
  tree: fc
    .dictionary(
      fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.constantFrom('ma', 'mb')),
      fc.constant(null),
      { maxKeys: 4 },
    )
    .chain((shape) => {
      const entries = Object.keys(shape).map((key) =>
        key.startsWith('m')
          ? tie('tree').map((value) => [key, value] as const)
          : leafValue.map((value) => [key, value] as const),
      );
      return fc.tuple(...entries).map((pairs) => Object.fromEntries(pairs));
    }),
}));
const anyValue = fc.jsonValue();

describe(deepMerge.name, () => {
  it('is associative when the layers agree on which keys hold maps', () => {
    fc.assert(
      fc.property(tree, tree, tree, (a, b, c) => {
        expect(deepMerge(deepMerge(a, b), c)).toEqual(deepMerge(a, deepMerge(b, c)));
      }),
    );
  });

  it('treats an empty map as the identity on either side', () => {
    fc.assert(
      fc.property(tree, (a) => {
        expect(deepMerge(a, {})).toEqual(a);
        expect(deepMerge({}, a)).toEqual(a);
      }),
    );
  });

  it('is idempotent: merging a tree onto itself changes nothing', () => {
    fc.assert(fc.property(tree, (a) => expect(deepMerge(a, a)).toEqual(a)));
  });

  it('keeps every leaf of the override, whatever the base held', () => {
    fc.assert(
      fc.property(anyValue, tree, (base, override) => {
        const merged = deepMerge(base, override);
        // An empty map is a leaf to `leaves` but merges (as nothing) into what is there.
        for (const leaf of leaves(override).filter((item) => !isPlainObject(item.value))) {
          let node: unknown = merged;
          for (const segment of leaf.path)
            node = (node as Record<string, unknown>)[segment as string];
          expect(node).toEqual(leaf.value);
        }
      }),
    );
  });

  it('keeps base keys the override does not mention', () => {
    fc.assert(
      fc.property(tree, tree, (base, override) => {
        const merged = deepMerge(base, override) as Record<string, unknown>;
        for (const key of Object.keys(base)) {
          if (!(key in override)) expect(merged[key]).toEqual(base[key]);
        }
      }),
    );
  });

  it('never mutates its inputs and shares no objects with them', () => {
    fc.assert(
      fc.property(anyValue, anyValue, (base, override) => {
        const before = [structuredClone(base), structuredClone(override)];
        const merged = deepMerge(base, override);
        expect([base, override]).toEqual(before);
        if (isPlainObject(merged) || Array.isArray(merged)) {
          expect(merged).not.toBe(base);
          expect(merged).not.toBe(override);
        }
      }),
    );
  });

  it('folds layers left to right in deepMergeAll', () => {
    fc.assert(
      fc.property(tree, tree, tree, (a, b, c) => {
        expect(deepMergeAll(a, b, c)).toEqual(deepMerge(deepMerge(a, b), c));
      }),
    );
  });

  it('replaces arrays instead of concatenating or merging them by index', () => {
    expect(deepMerge({ brokers: ['a:1', 'b:2', 'c:3'] }, { brokers: ['d:4'] })).toEqual({
      brokers: ['d:4'],
    });
  });

  it('merges maps key by key at every depth', () => {
    expect(
      deepMerge({ kafka: { ssl: { ca: 'x' }, client_id: 'a' } }, { kafka: { ssl: { cert: 'y' } } }),
    ).toEqual({ kafka: { ssl: { ca: 'x', cert: 'y' }, client_id: 'a' } });
  });

  it('lets null and scalars replace a map, and undefined keep the base', () => {
    expect(deepMerge({ a: { b: 1 } }, { a: null })).toEqual({ a: null });
    expect(deepMerge({ a: { b: 1 } }, { a: 2 })).toEqual({ a: 2 });
    expect(deepMerge({ a: 1 }, { a: undefined })).toEqual({ a: 1 });
  });

  it('treats a __proto__ key as data, not as a prototype', () => {
    const merged = deepMerge({}, JSON.parse('{"__proto__": {"polluted": true}}')) as Record<
      string,
      unknown
    >;
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.keys(merged)).toEqual(['__proto__']);
  });
});
