import { EventContracts } from './event-contracts';
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
      timestamp: '2024-01-01T00:00:00.123Z',
      user_id: 'u1',
      device_type: 'mobile',
      country: 'US',
    });
    expect(result).toMatchObject({
      ok: true,
      clientEventId: true,
      event: { event_id: 'e1', timestamp: 1704067200123 },
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
