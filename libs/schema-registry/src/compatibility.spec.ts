import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as avro from 'avsc';
import { CompatibilityLevel, checkCompatibility, parseSchema, readProblems } from './compatibility';

type Json = Record<string, unknown>;

/** An `Order` record with an `id` and the given fields. */
const order = (fields: readonly Json[], extra: Json = {}): string =>
  JSON.stringify({
    type: 'record',
    name: 'Order',
    namespace: 'com.example',
    ...extra,
    fields: [{ name: 'id', type: 'string' }, ...fields],
  });

const field = (name: string, type: unknown, more: Json = {}): Json => ({ name, type, ...more });
const status = (symbols: readonly string[], more: Json = {}): Json => ({
  type: 'enum',
  name: 'Status',
  symbols,
  ...more,
});
const address = (fields: readonly Json[], name = 'Address'): Json => ({
  type: 'record',
  name,
  fields: [{ name: 'street', type: 'string' }, ...fields],
});

interface Scenario {
  readonly scenario: string;
  /** Oldest first; the candidate is checked against them. */
  readonly previous: readonly string[];
  readonly candidate: string;
  readonly backward: boolean;
  readonly forward: boolean;
  /** Differ from the non-transitive results only when more than one version precedes. */
  readonly backwardTransitive?: boolean;
  readonly forwardTransitive?: boolean;
}

// prettier-ignore
const SCENARIOS: readonly Scenario[] = [
  { scenario: 'add an optional field (with default)',
    previous: [order([])], candidate: order([field('coupon', ['null', 'string'], { default: null })]),
    backward: true, forward: true },
  { scenario: 'add a required field (no default)',
    previous: [order([])], candidate: order([field('coupon', 'string')]),
    backward: false, forward: true },
  { scenario: 'remove a field that had a default',
    previous: [order([field('note', 'string', { default: '' })])], candidate: order([]),
    backward: true, forward: true },
  { scenario: 'remove a field that had no default',
    previous: [order([field('note', 'string')])], candidate: order([]),
    backward: true, forward: false },
  { scenario: 'promote int to long',
    previous: [order([field('qty', 'int')])], candidate: order([field('qty', 'long')]),
    backward: true, forward: false },
  { scenario: 'promote long to double',
    previous: [order([field('qty', 'long')])], candidate: order([field('qty', 'double')]),
    backward: true, forward: false },
  { scenario: 'promote float to double',
    previous: [order([field('qty', 'float')])], candidate: order([field('qty', 'double')]),
    backward: true, forward: false },
  { scenario: 'change string to bytes',
    previous: [order([field('blob', 'string')])], candidate: order([field('blob', 'bytes')]),
    backward: true, forward: true },
  { scenario: 'change bytes to string',
    previous: [order([field('blob', 'bytes')])], candidate: order([field('blob', 'string')]),
    backward: true, forward: true },
  { scenario: 'narrow long to int (illegal promotion)',
    previous: [order([field('qty', 'long')])], candidate: order([field('qty', 'int')]),
    backward: false, forward: true },
  { scenario: 'change string to int',
    previous: [order([field('qty', 'string')])], candidate: order([field('qty', 'int')]),
    backward: false, forward: false },
  { scenario: 'timestamp-millis logical type on a long (resolves as long)',
    previous: [order([field('at', 'long')])],
    candidate: order([field('at', { type: 'long', logicalType: 'timestamp-millis' })]),
    backward: true, forward: true },
  { scenario: 'rename a field, old name kept as an alias',
    previous: [order([field('coupon', 'string')])], candidate: order([field('coupon_code', 'string', { aliases: ['coupon'] })]),
    backward: true, forward: false },
  { scenario: 'rename a field without an alias',
    previous: [order([field('coupon', 'string')])], candidate: order([field('coupon_code', 'string')]),
    backward: false, forward: false },
  { scenario: 'rename the record, old name kept as an alias',
    previous: [order([])], candidate: order([], { name: 'PurchaseOrder', aliases: ['Order'] }),
    backward: true, forward: false },
  { scenario: 'change the namespace only (names match unqualified)',
    previous: [order([])], candidate: order([], { namespace: 'com.example.v2' }),
    backward: true, forward: true },
  { scenario: 'add an enum symbol',
    previous: [order([field('status', status(['NEW', 'PAID']))])],
    candidate: order([field('status', status(['NEW', 'PAID', 'REFUNDED']))]),
    backward: true, forward: false },
  { scenario: 'remove an enum symbol',
    previous: [order([field('status', status(['NEW', 'PAID', 'REFUNDED']))])],
    candidate: order([field('status', status(['NEW', 'PAID']))]),
    backward: false, forward: true },
  { scenario: 'add an enum symbol, both versions declare an enum default',
    previous: [order([field('status', status(['UNKNOWN', 'NEW', 'PAID'], { default: 'UNKNOWN' }))])],
    candidate: order([field('status', status(['UNKNOWN', 'NEW', 'PAID', 'REFUNDED'], { default: 'UNKNOWN' }))]),
    backward: true, forward: true },
  { scenario: 'remove an enum symbol, new version declares an enum default',
    previous: [order([field('status', status(['UNKNOWN', 'NEW', 'PAID', 'REFUNDED']))])],
    candidate: order([field('status', status(['UNKNOWN', 'NEW', 'PAID'], { default: 'UNKNOWN' }))]),
    backward: true, forward: true },
  { scenario: 'nested record: add an optional field',
    previous: [order([field('shipping', address([]))])],
    candidate: order([field('shipping', address([field('zip', ['null', 'string'], { default: null })]))]),
    backward: true, forward: true },
  { scenario: 'nested record: add a required field',
    previous: [order([field('shipping', address([]))])],
    candidate: order([field('shipping', address([field('zip', 'string')]))]),
    backward: false, forward: true },
  { scenario: 'nested record: rename the type without an alias',
    previous: [order([field('shipping', address([]))])],
    candidate: order([field('shipping', address([], 'ShippingAddress'))]),
    backward: false, forward: false },
  { scenario: 'widen a union (add a branch)',
    previous: [order([field('ref', ['null', 'string'], { default: null })])],
    candidate: order([field('ref', ['null', 'string', 'long'], { default: null })]),
    backward: true, forward: false },
  { scenario: 'narrow a union (remove a branch)',
    previous: [order([field('ref', ['null', 'string', 'long'], { default: null })])],
    candidate: order([field('ref', ['null', 'string'], { default: null })]),
    backward: false, forward: true },
  { scenario: 'make a required field nullable',
    previous: [order([field('ref', 'string')])],
    candidate: order([field('ref', ['null', 'string'], { default: null })]),
    backward: true, forward: false },
  { scenario: 'transitive: v2 adds a field with default, v3 drops the default',
    previous: [order([]), order([field('coupon', 'string', { default: '' })])],
    candidate: order([field('coupon', 'string')]),
    backward: true, forward: true, backwardTransitive: false, forwardTransitive: true },
  { scenario: 'transitive: v2 gives a field a default, v3 removes the field',
    previous: [order([field('coupon', 'string')]), order([field('coupon', 'string', { default: '' })])],
    candidate: order([]),
    backward: true, forward: true, backwardTransitive: true, forwardTransitive: false },
  { scenario: 'transitive: int, then long, then double',
    previous: [order([field('qty', 'int')]), order([field('qty', 'long')])],
    candidate: order([field('qty', 'double')]),
    backward: true, forward: false, backwardTransitive: true, forwardTransitive: false },
  { scenario: 'transitive: three optional additions',
    previous: [order([]), order([field('a', ['null', 'string'], { default: null })])],
    candidate: order([field('a', ['null', 'string'], { default: null }), field('b', 'long', { default: 0 })]),
    backward: true, forward: true },
];

const expectations = (s: Scenario): Record<CompatibilityLevel, boolean> => {
  const bt = s.backwardTransitive ?? s.backward;
  const ft = s.forwardTransitive ?? s.forward;
  return {
    NONE: true,
    BACKWARD: s.backward,
    BACKWARD_TRANSITIVE: bt,
    FORWARD: s.forward,
    FORWARD_TRANSITIVE: ft,
    FULL: s.backward && s.forward,
    FULL_TRANSITIVE: bt && ft,
  };
};

describe(checkCompatibility.name, () => {
  it.each(SCENARIOS)('$scenario', (s) => {
    const expected = expectations(s);
    const actual = Object.fromEntries(
      Object.keys(expected).map((level) => {
        const result = checkCompatibility(s.candidate, s.previous, level as CompatibilityLevel);
        // A verdict and its messages never disagree.
        expect(result.messages.length === 0).toBe(result.compatible);
        return [level, result.compatible];
      }),
    );

    expect(actual).toEqual(expected);
  });

  it.each(SCENARIOS)(
    "agrees with avsc's resolver, without needing it as a backstop: $scenario",
    (s) => {
      const candidate = parseSchema(s.candidate);
      const latest = parseSchema(s.previous[s.previous.length - 1] ?? '');
      if (!candidate.ok || !latest.ok) throw new Error('fixture');
      const avscCanRead = (reader: avro.Type, writer: avro.Type): boolean => {
        try {
          reader.createResolver(writer, { ignoreNamespaces: true });
          return true;
        } catch {
          return false;
        }
      };

      for (const [reader, writer] of [
        [candidate.type, latest.type],
        [latest.type, candidate.type],
      ] as const) {
        const problems = readProblems(reader, writer);
        expect(
          problems.some((p) => p.startsWith('reader schema cannot read the writer schema')),
        ).toBe(false);
        expect(problems.length === 0).toBe(avscCanRead(reader, writer));
      }
    },
  );

  it('matches the table in the README, row for row', () => {
    const readme = readFileSync(join(__dirname, '../README.md'), 'utf8');
    const levels = [
      'BACKWARD',
      'BACKWARD_TRANSITIVE',
      'FORWARD',
      'FORWARD_TRANSITIVE',
      'FULL',
      'FULL_TRANSITIVE',
    ] as const;
    const documented = readme
      .split('\n')
      .map((line) =>
        line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim()),
      )
      .filter((cells) => cells.length === 7 && SCENARIOS.some((s) => s.scenario === cells[0]));

    expect(documented).toEqual(
      SCENARIOS.map((s) => [
        s.scenario,
        ...levels.map((level) => (expectations(s)[level] ? '✓' : '✗')),
      ]),
    );
  });

  it('names the field, the rule, the level and the version of a missing default', () => {
    const result = checkCompatibility(
      order([field('coupon', 'string')]),
      [order([]), order([])],
      'BACKWARD',
    );

    expect(result).toEqual({
      compatible: false,
      messages: [
        'reader field "coupon" has no default and is missing from the writer schema (BACKWARD, against version 2)',
      ],
    });
  });

  it('reports every failing version under a transitive level, newest first', () => {
    const result = checkCompatibility(
      order([field('coupon', 'string')]),
      [order([]), order([]), order([field('coupon', 'string')])],
      'BACKWARD_TRANSITIVE',
    );

    expect(result.messages).toEqual([
      'reader field "coupon" has no default and is missing from the writer schema (BACKWARD_TRANSITIVE, against version 2)',
      'reader field "coupon" has no default and is missing from the writer schema (BACKWARD_TRANSITIVE, against version 1)',
    ]);
  });

  it('says which direction failed under FULL', () => {
    const result = checkCompatibility(
      order([field('qty', 'long')]),
      [order([field('qty', 'int')])],
      'FULL',
    );

    expect(result.messages).toEqual([
      'field "qty": writer type "long" cannot be read as reader type "int" (is not a legal Avro promotion) (FULL, FORWARD, against version 1)',
    ]);
  });

  it('names enum symbols, nested fields and union branches', () => {
    const enumResult = checkCompatibility(
      order([field('status', status(['NEW']))]),
      [order([field('status', status(['NEW', 'PAID']))])],
      'BACKWARD',
    );
    const nested = checkCompatibility(
      order([field('shipping', address([field('zip', 'string')]))]),
      [order([field('shipping', address([]))])],
      'BACKWARD',
    );
    const union = checkCompatibility(
      order([field('ref', ['null', 'string'], { default: null })]),
      [order([field('ref', ['null', 'string', 'long'], { default: null })])],
      'BACKWARD',
    );

    expect(enumResult.messages).toEqual([
      'field "status": writer enum symbol(s) "PAID" missing from reader enum "com.example.Status", which has no default (BACKWARD, against version 1)',
    ]);
    expect(nested.messages).toEqual([
      'reader field "shipping.zip" has no default and is missing from the writer schema (BACKWARD, against version 1)',
    ]);
    expect(union.messages).toEqual([
      'field "ref": writer type "long" matches no branch of the reader union ["null", "string"] (BACKWARD, against version 1)',
    ]);
  });

  it('is compatible with no previous version, and always under NONE', () => {
    expect(checkCompatibility(order([]), [], 'FULL_TRANSITIVE')).toEqual({
      compatible: true,
      messages: [],
    });
    expect(checkCompatibility(order([field('x', 'string')]), [order([])], 'NONE').compatible).toBe(
      true,
    );
  });

  it('rejects an invalid candidate with the parser message', () => {
    const result = checkCompatibility('{"type":"record","name":"Order"}', [order([])], 'NONE');

    expect(result.compatible).toBe(false);
    expect(result.messages[0]).toMatch(/^candidate schema is invalid: /);
  });

  it('handles recursive schemas', () => {
    const node = (extra: readonly Json[]) =>
      JSON.stringify({
        type: 'record',
        name: 'Node',
        fields: [{ name: 'next', type: ['null', 'Node'], default: null }, ...extra],
      });

    expect(
      checkCompatibility(node([field('v', 'int', { default: 0 })]), [node([])], 'FULL').compatible,
    ).toBe(true);
    expect(checkCompatibility(node([field('v', 'int')]), [node([])], 'BACKWARD').messages).toEqual([
      'reader field "v" has no default and is missing from the writer schema (BACKWARD, against version 1)',
    ]);
  });
});

describe(parseSchema.name, () => {
  it('gives two schemas that differ only in formatting and key order the same canonical text', () => {
    const a = parseSchema(
      '{"type":"record","name":"A","fields":[{"name":"x","type":"int","default":1}]}',
    );
    const b = parseSchema(`{
      "fields": [ { "default": 1, "type": "int", "name": "x" } ],
      "name": "A",
      "type": "record"
    }`);

    expect(a.ok && b.ok && a.canonical === b.canonical).toBe(true);
    expect(a.ok && a.canonical).toBe(
      '{"name":"A","type":"record","fields":[{"name":"x","type":"int","default":1}]}',
    );
  });

  it.each([
    ['a default', '"default":2'],
    ['a doc', '"doc":"x"'],
    ['an alias', '"aliases":["y"]'],
  ])('keeps %s in the canonical text', (_what, attribute) => {
    const base = parseSchema('{"type":"record","name":"A","fields":[{"name":"x","type":"int"}]}');
    const changed = parseSchema(
      `{"type":"record","name":"A","fields":[{"name":"x","type":"int",${attribute}}]}`,
    );

    expect(base.ok && changed.ok && base.canonical !== changed.canonical).toBe(true);
  });

  it('keeps the logical type in the canonical text', () => {
    const parsed = parseSchema('{"type":"long","logicalType":"timestamp-millis"}');

    expect(parsed.ok && parsed.canonical).toBe('{"type":"long","logicalType":"timestamp-millis"}');
  });

  it("returns avsc's parser message for an invalid schema", () => {
    expect(parseSchema('{"type":"recrod","name":"A"}')).toEqual({
      ok: false,
      reason: 'unknown type: "recrod"',
    });
    expect(
      parseSchema(
        '{"type":"record","name":"A","fields":[{"name":"x","type":"int","default":"no"}]}',
      ),
    ).toEqual({
      ok: false,
      reason: expect.stringContaining('invalid'),
    });
  });

  it('says when the text is not JSON', () => {
    const parsed = parseSchema('{"type":');

    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toMatch(/^invalid JSON: /);
  });
});
