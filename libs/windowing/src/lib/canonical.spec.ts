import { canonicalJson } from './canonical';

/** What `JSON.stringify` makes of the value once every object's keys are sorted. */
function sortedStringify(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) =>
    field !== null && typeof field === 'object' && !Array.isArray(field)
      ? Object.fromEntries(
          Object.keys(field)
            .sort()
            .map((key) => [key, (field as Record<string, unknown>)[key]]),
        )
      : field,
  );
}

describe(canonicalJson.name, () => {
  it('sorts object keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,1]},"b":1}',
    );
    expect(canonicalJson(JSON.parse('{ "z" : 1,\n "a":[ {"y":2,"x":1} ] }'))).toBe(
      canonicalJson({ a: [{ x: 1, y: 2 }], z: 1 }),
    );
  });

  it.each<[string, unknown]>([
    ['primitives', ['s', 1.5, -0, true, null, 'é\u2028"\\']],
    ['non-finite numbers', { n: NaN, i: Infinity }],
    ['undefined keys and array items', { u: undefined, a: [undefined, 1], f: () => 1 }],
    ['toJSON (dates)', { at: new Date(0), nested: [{ at: new Date(1) }] }],
    ['an Avro schema', { type: 'record', name: 'E', fields: [{ name: 'a', type: 'long' }] }],
  ])('writes %s as JSON.stringify over sorted keys does', (_name, value) => {
    expect(canonicalJson(value)).toBe(sortedStringify(value));
  });

  it('writes undefined alone as null', () => {
    expect(canonicalJson(undefined)).toBe('null');
  });
});
