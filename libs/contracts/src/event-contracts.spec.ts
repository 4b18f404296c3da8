import fc from 'fast-check';
import { z } from 'zod';
import type { DomainModel } from './model';
import {
  boundFailures,
  ENTITY_KEY_MAX_LENGTH,
  EventContracts,
  failuresOf,
  MAX_FAILURES,
  truncateText,
} from './event-contracts';
import { ecommerceModel } from './testing/ecommerce-model';

describe(EventContracts.name, () => {
  const contracts = new EventContracts(ecommerceModel(), { maxStringLength: 16 });
  const fill = { now: () => 1_700_000_000_000, newId: () => 'generated-id' };
  const validate = (type: string, input: unknown) => contracts.validate(type, input, fill);

  it('fills in event_id and timestamp and sets absent attributes to null', () => {
    expect(validate('page_view', { user_id: 'u1', device_type: 'mobile', country: 'US' })).toEqual({
      ok: true,
      clientEventId: false,
      event: {
        event_id: 'generated-id',
        timestamp: 1_700_000_000_000,
        user_id: 'u1',
        page_url: null,
        page_title: null,
        referrer: null,
        device_type: 'mobile',
        country: 'US',
      },
    });
  });

  it('keeps a client event_id and reads ISO-8601 timestamps as epoch milliseconds', () => {
    const result = validate('page_view', {
      event_id: 'e1',
      timestamp: '2023-01-01T00:00:00.123Z',
      user_id: 'u1',
      device_type: 'mobile',
      country: 'US',
    });
    expect(result).toMatchObject({
      ok: true,
      clientEventId: true,
      event: { event_id: 'e1', timestamp: 1672531200123 },
    });
  });

  it.each([
    [
      { user_id: 'u', device_type: 'phone', country: 'US' },
      [
        {
          field: 'device_type',
          reason: 'must be one of "desktop", "mobile", "tablet", got "phone"',
        },
      ],
    ],
    [
      { device_type: 'mobile', country: 'US' },
      [{ field: 'user_id', reason: 'required field is missing' }],
    ],
    [
      { user_id: 'u', device_type: null, country: 'US' },
      [{ field: 'device_type', reason: 'must be one of "desktop", "mobile", "tablet", got null' }],
    ],
    [
      { user_id: 7, device_type: 'mobile', country: 'US' },
      [{ field: 'user_id', reason: 'expected a string, got integer' }],
    ],
    [
      { user_id: 'u', device_type: 'mobile', country: 'US', extra: 1 },
      [{ field: 'extra', reason: 'unknown field: not in the contract' }],
    ],
    [
      { user_id: 'u', device_type: 'mobile', country: 'US', page_url: 'x'.repeat(17) },
      [{ field: 'page_url', reason: 'longer than 16 characters' }],
    ],
    [
      { user_id: 'u', device_type: 'mobile', country: 'US', timestamp: 'yesterday' },
      [
        {
          field: 'timestamp',
          reason:
            'expected epoch milliseconds (a non-negative integer) or an ISO-8601 date-time with offset, got "yesterday"',
        },
      ],
    ],
    [[1], [{ field: '$', reason: 'expected a JSON object, got array' }]],
    [null, [{ field: '$', reason: 'expected a JSON object, got null' }]],
  ])('rejects %j with exact per-field reasons', (input, failures) => {
    expect(validate('page_view', input)).toEqual({ ok: false, failures });
  });

  it('checks integers, ranges and numbers of add_to_cart', () => {
    expect(
      validate('add_to_cart', {
        user_id: 'u',
        product_id: 'p',
        quantity: 1.5,
        device_type: 'mobile',
        price: '3',
      }),
    ).toEqual({
      ok: false,
      failures: [
        { field: 'price', reason: 'expected a number, got string' },
        { field: 'quantity', reason: 'expected an integer, got 1.5' },
      ],
    });
    expect(
      validate('add_to_cart', {
        user_id: 'u',
        product_id: 'p',
        quantity: 6,
        device_type: 'mobile',
        price: 0,
      }),
    ).toEqual({
      ok: false,
      failures: [
        { field: 'price', reason: 'must be >= 1, got 0' },
        { field: 'quantity', reason: 'must be <= 5, got 6' },
      ],
    });
  });

  it('says a number JSON cannot carry is not finite', () => {
    const failures = validate('add_to_cart', {
      user_id: 'u',
      product_id: 'p',
      quantity: 1,
      device_type: 'mobile',
      price: JSON.parse('1e400') as number,
    });
    expect(failures).toEqual({
      ok: false,
      failures: [{ field: 'price', reason: 'expected a finite number, got Infinity' }],
    });
  });

  it('names what a union takes, and the bounds of an array, instead of zod defaults', () => {
    const scalar = z.union([z.string(), z.number(), z.boolean()]);
    const schema = z.object({
      value: z.union([scalar, z.array(scalar)]),
      tags: z.array(z.string()).min(1).max(2),
    });
    const failuresFor = (input: unknown) => {
      const parsed = schema.safeParse(input);
      return parsed.success ? [] : parsed.error.issues.flatMap((i) => failuresOf(i, input));
    };
    expect(failuresFor({ value: { $gt: 1 }, tags: [] })).toEqual([
      { field: 'value', reason: 'expected a string, a number, a boolean or an array, got object' },
      { field: 'tags', reason: 'must have at least 1 item(s)' },
    ]);
    expect(failuresFor({ value: 1, tags: ['a', 'b', 'c'] })).toEqual([
      { field: 'tags', reason: 'must have at most 2 item(s)' },
    ]);
  });

  it('names unknown event types and the known ones', () => {
    expect(validate('refund', {})).toEqual({
      ok: false,
      failures: [
        {
          field: 'type',
          reason: 'unknown event type "refund"; known: page_view, add_to_cart, purchase',
        },
      ],
    });
  });

  it('derives the JSON Schema served in OpenAPI from the same schema', () => {
    const schema = contracts.jsonSchemaOf('purchase');
    expect(schema).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['user_id', 'order_id', 'revenue', 'currency', 'device_type'],
    });
    expect((schema?.['properties'] as Record<string, unknown>)['currency']).toEqual({
      type: 'string',
      enum: ['USD', 'EUR', 'GBP'],
    });
  });
});

describe('what every sink can store', () => {
  const NOW = 1_700_000_000_000;
  const DAY = 24 * 60 * 60 * 1000;
  const contracts = new EventContracts(ecommerceModel(), { maxStringLength: 8192 });
  const fill = { now: () => NOW, newId: () => 'generated-id' };
  const pageView = (extra: Record<string, unknown>) =>
    contracts.validate(
      'page_view',
      { user_id: 'u1', device_type: 'mobile', country: 'US', ...extra },
      fill,
    );
  const failedFields = (result: ReturnType<typeof pageView>) =>
    result.ok ? [] : result.failures.map((f) => f.field);

  it('refuses a lone surrogate in any string field, naming the field', () => {
    for (const [field, value] of [
      ['page_url', 'u\ud800x'],
      ['page_url', 'x\udc00'],
      ['user_id', '\udbff'],
      ['event_id', 'e\ud800'],
    ] as const) {
      const result = pageView({ [field]: value });
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.failures).toContainEqual({
          field,
          reason: 'is not well-formed Unicode: it holds a lone UTF-16 surrogate',
        });
      }
    }
  });

  it('accepts astral-plane characters, which are surrogate pairs', () => {
    const result = pageView({ page_url: '/😀/𝄞/\u{10FFFF}', user_id: '𐍈' });
    expect(result).toMatchObject({ ok: true, event: { page_url: '/😀/𝄞/\u{10FFFF}' } });
  });

  it('refuses NUL in any string, which PostgreSQL cannot store, but keeps other control characters', () => {
    expect(failedFields(pageView({ page_url: 'a\u0000b' }))).toEqual(['page_url']);
    expect(pageView({ page_url: 'line\nbreak\ttab\u0007' }).ok).toBe(true);
  });

  it('refuses an entity key that is empty, holds a control character or is too long', () => {
    const reasons = (user_id: string) => {
      const r = pageView({ user_id });
      return r.ok ? [] : r.failures.filter((f) => f.field === 'user_id').map((f) => f.reason);
    };
    expect(reasons('')).toEqual(['must not be empty']);
    expect(reasons('u\u0000x')).toEqual([
      'must not contain control characters (U+0000 to U+001F, U+007F to U+009F)',
    ]);
    expect(reasons('u\nx')).toHaveLength(1);
    expect(reasons('u\u0085')).toHaveLength(1);
    expect(reasons('k'.repeat(ENTITY_KEY_MAX_LENGTH + 1))).toEqual([
      `longer than ${ENTITY_KEY_MAX_LENGTH} characters`,
    ]);
    expect(reasons('k'.repeat(ENTITY_KEY_MAX_LENGTH))).toEqual([]);
  });

  it('bounds event time: not before the floor, at most the skew after receipt', () => {
    expect(pageView({ timestamp: NOW + DAY }).ok).toBe(true);
    expect(pageView({ timestamp: 0 }).ok).toBe(true);
    for (const timestamp of [
      NOW + DAY + 1,
      '2100-01-01T00:00:00Z',
      '3000-01-01T00:00:00Z',
      '9999-12-31T23:59:59Z',
    ]) {
      const result = pageView({ timestamp });
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.failures).toEqual([
          {
            field: 'timestamp',
            reason: expect.stringContaining(`must be at most ${DAY} ms after the time of receipt`),
          },
        ]);
      }
    }
    expect(pageView({ timestamp: 1e20 }).ok).toBe(false);
    const before = pageView({ timestamp: '1969-12-31T23:59:59.999Z' });
    expect(before.ok ? [] : before.failures).toEqual([
      {
        field: 'timestamp',
        reason: 'must be at or after 1970-01-01T00:00:00.000Z, got "1969-12-31T23:59:59.999Z"',
      },
    ]);
  });

  it('takes its time bounds from the options', () => {
    const strict = new EventContracts(ecommerceModel(), {
      maxStringLength: 100,
      eventTime: { minMs: Date.UTC(2020, 0, 1), maxFutureSkewMs: 1000 },
    });
    const at = (timestamp: number) =>
      strict.validate(
        'page_view',
        { user_id: 'u', device_type: 'mobile', country: 'US', timestamp },
        fill,
      ).ok;
    expect(at(Date.UTC(2020, 0, 1))).toBe(true);
    expect(at(Date.UTC(2020, 0, 1) - 1)).toBe(false);
    expect(at(NOW + 1000)).toBe(true);
    expect(at(NOW + 1001)).toBe(false);
  });

  it('cuts long field names in failures and bounds the list with a count of the rest', () => {
    const body = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`f${i}`, i]));
    body['k'.repeat(100_000)] = 1;
    const result = contracts.validate('page_view', body, fill);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Math.max(...result.failures.map((f) => f.field.length))).toBeLessThanOrEqual(201);
    const bounded = boundFailures(result.failures);
    expect(bounded.failures).toHaveLength(MAX_FAILURES);
    expect(bounded.omitted).toBe(result.failures.length - MAX_FAILURES);
    expect(boundFailures(bounded.failures.slice(0, 3))).toEqual({
      failures: bounded.failures.slice(0, 3),
      omitted: 0,
    });
  });

  it('never splits a surrogate pair when it cuts text', () => {
    expect(truncateText('ab😀cd', 3)).toBe('ab…');
    expect(truncateText('abc😀', 4)).toBe('abc…');
    expect(truncateText('short', 10)).toBe('short');
  });
});

describe('the quick check of valid events', () => {
  // Every field type, with and without bounds and enumerations, on both kinds of entity key.
  const base = ecommerceModel();
  const model: DomainModel = {
    ...base,
    entities: [...base.entities, { name: 'meter', primaryKey: 'meter_id', primaryKeyType: 'long' }],
    eventTypes: [
      ...base.eventTypes,
      {
        name: 'every_type',
        entity: 'meter',
        attributes: [
          { name: 's', type: 'string' },
          { name: 'i', type: 'int', min: -5, max: 5 },
          { name: 'l', type: 'long' },
          { name: 'f', type: 'float', min: 0 },
          { name: 'd', type: 'double', values: [0.5, 1.5] },
          { name: 'b', type: 'boolean' },
          { name: 't', type: 'timestamp' },
        ],
        dimensions: [
          { name: 'kind', type: 'string', values: ['a', 'b'] },
          { name: 'level', type: 'int', values: [1, 2, 3] },
        ],
      },
    ],
  };
  const contracts = new EventContracts(model, { maxStringLength: 8 });
  const fill = { now: () => 1_700_000_000_000, newId: () => 'generated-id' };

  const anyValue = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -10, max: 10 }),
    fc.constantFrom(
      0.5,
      1.5,
      -0.1,
      2 ** 31,
      2 ** 53,
      -(2 ** 31) - 1,
      1_700_000_000_000,
      1_700_000_000_000.5,
    ),
    fc.double(),
    fc.string({ maxLength: 10 }),
    fc.string({ unit: 'binary', maxLength: 10 }),
    fc.constantFrom(
      'a',
      'b',
      '',
      'x\u0000y',
      'x\ud800',
      'tab\there',
      '\u0085',
      '2023-01-01T00:00:00Z',
      '2023-01-01T00:00:00+02:00',
      '2023-01-01T00:00:00',
      '2023-13-01T00:00:00Z',
    ),
    fc.array(fc.integer(), { maxLength: 2 }),
    fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
  );
  const input = (type: string) => {
    const names = [
      'event_id',
      'timestamp',
      ...[...(contracts.fieldsOf(type)?.keys() ?? [])],
      'unknown_field',
      '__proto__',
    ];
    return fc.dictionary(fc.constantFrom(...names), anyValue, { maxKeys: names.length });
  };

  // Valid events, one field changed at a time: the quick check's edges.
  const valid: Readonly<Record<string, Record<string, unknown>>> = {
    every_type: { meter_id: 7, s: 'text', i: 5, f: 0.25, d: 0.5, b: true, kind: 'b', level: 1 },
    page_view: { user_id: 'u1', device_type: 'mobile', country: 'US' },
  };
  const mutated = (type: string) =>
    fc
      .tuple(fc.constantFrom(...Object.keys(valid[type] ?? {}), 'event_id', 'timestamp'), anyValue)
      .map(([name, value]) => ({ ...valid[type], [name]: value }));

  it.each(['every_type', 'page_view', 'purchase'])(
    '%s: accepts only what its schema accepts',
    (type) => {
      const schema = contracts.schemaOf(type);
      const events = type in valid ? fc.oneof(input(type), mutated(type)) : input(type);
      fc.assert(
        fc.property(events, (event) => {
          const result = contracts.validate(type, event, fill);
          const parsed = schema?.safeParse(event);
          if (result.ok) expect(parsed?.success).toBe(true);
          if (parsed?.success !== true) expect(result.ok).toBe(false);
        }),
        { numRuns: 5_000 },
      );
    },
  );

  it('takes a valid event as it is sent, without a copy made by the schema', () => {
    const event = {
      meter_id: 7,
      s: 'text',
      i: -5,
      f: 0,
      d: 1.5,
      b: false,
      t: '2023-01-01T00:00:00+02:00',
      kind: 'a',
      level: 3,
    };
    const parse = jest.spyOn(contracts.schemaOf('every_type') as z.ZodObject, 'safeParse');
    try {
      expect(contracts.validate('every_type', event, fill)).toMatchObject({
        ok: true,
        event: { meter_id: 7, s: 'text', t: 1_672_524_000_000, l: null, level: 3 },
      });
      expect(parse).not.toHaveBeenCalled();
      expect(contracts.validate('every_type', { ...event, level: 4 }, fill).ok).toBe(false);
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
    }
  });
});
