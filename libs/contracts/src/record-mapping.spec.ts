import { EventContracts } from './event-contracts';
import {
  coerceJson,
  coerceText,
  eventFromJsonRecord,
  eventFromTextRecord,
  valueAtPath,
} from './record-mapping';
import { ecommerceModel } from './testing/ecommerce-model';

describe('record mapping', () => {
  const contracts = new EventContracts(ecommerceModel(), { maxStringLength: 64 });
  const fill = { now: () => 1_710_000_000_000, newId: () => 'generated-id' };

  describe(coerceText.name, () => {
    it.each([
      ['int', '42', 42],
      ['long', ' -7 ', -7],
      ['double', '12.50', 12.5],
      ['float', '1e3', 1000],
      ['boolean', 'TRUE', true],
      ['boolean', '0', false],
      ['timestamp', '1704067200000', 1_704_067_200_000],
      ['timestamp', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'],
      ['string', ' kept as is ', ' kept as is '],
    ] as const)('reads a %s from %j', (type, text, value) => {
      expect(coerceText(type, text)).toEqual({ ok: true, value });
    });

    it.each([
      ['int', '4.5', 'expected an integer, got "4.5"'],
      ['long', '99999999999999999999', 'expected an integer, got "99999999999999999999"'],
      ['double', '12,50', 'expected a number, got "12,50"'],
      ['double', 'NaN', 'expected a number, got "NaN"'],
      ['boolean', 'maybe', 'expected true or false, got "maybe"'],
    ] as const)('refuses a %s from %j', (type, text, reason) => {
      expect(coerceText(type, text)).toEqual({ ok: false, reason });
    });
  });

  describe(coerceJson.name, () => {
    it('keeps JSON numbers and booleans, reads text, and makes numeric ids text', () => {
      expect(coerceJson('double', 3.5)).toEqual({ ok: true, value: 3.5 });
      expect(coerceJson('int', '3')).toEqual({ ok: true, value: 3 });
      expect(coerceJson('string', 123)).toEqual({ ok: true, value: '123' });
      expect(coerceJson('string', null)).toEqual({ ok: true, value: null });
      expect(coerceJson('string', { a: 1 })).toEqual({
        ok: false,
        reason: 'expected a string, got object',
      });
    });
  });

  describe(valueAtPath.name, () => {
    it('follows dot paths, with or without a leading $', () => {
      const body = { data: { items: [{ id: 1 }, { id: 2 }] } };
      expect(valueAtPath(body, '$.data.items')).toBe(body.data.items);
      expect(valueAtPath(body, 'data.items.1.id')).toBe(2);
      expect(valueAtPath(body, '$')).toBe(body);
      expect(valueAtPath(body, 'data.missing.deeper')).toBeUndefined();
    });
  });

  describe(eventFromTextRecord.name, () => {
    it('coerces each cell to its field type and keeps the timestamp', () => {
      const result = eventFromTextRecord(
        contracts,
        'add_to_cart',
        {
          timestamp: '2024-01-01T00:00:01.500Z',
          user_id: 'u1',
          price: '19.99',
          product_id: 'p1',
          quantity: '2',
          device_type: 'mobile',
        },
        fill,
      );
      expect(result).toEqual({
        ok: true,
        clientEventId: false,
        event: {
          event_id: 'generated-id',
          timestamp: 1_704_067_201_500,
          user_id: 'u1',
          price: 19.99,
          product_id: 'p1',
          quantity: 2,
          device_type: 'mobile',
        },
      });
    });

    it('reads empty cells as absent and skips ignored columns', () => {
      const result = eventFromTextRecord(
        contracts,
        'page_view',
        { type: 'page_view', user_id: 'u1', page_url: '', device_type: 'desktop', country: 'DE' },
        fill,
        new Set(['type']),
      );
      expect(result).toMatchObject({ ok: true, event: { page_url: null, country: 'DE' } });
    });

    it('names every field that does not fit the contract', () => {
      const result = eventFromTextRecord(
        contracts,
        'add_to_cart',
        {
          user_id: 'u1',
          price: 'cheap',
          quantity: '9',
          device_type: 'mobile',
          colour: 'red',
        },
        fill,
      );
      expect(result).toEqual({
        ok: false,
        failures: [
          { field: 'colour', reason: 'unknown field: not in the add_to_cart contract' },
          { field: 'price', reason: 'expected a number, got "cheap"' },
          { field: 'product_id', reason: 'required field is missing' },
          { field: 'quantity', reason: 'must be <= 5, got 9' },
        ],
      });
    });
  });

  describe(eventFromJsonRecord.name, () => {
    it('maps fields from paths and leaves other keys out', () => {
      const record = {
        id: 17,
        at: 1_704_067_200_000,
        user: { id: 42 },
        order: { number: 'o-1', total: '25.00' },
        currency: 'EUR',
        device: 'tablet',
        internal: 'not event data',
      };
      const result = eventFromJsonRecord(contracts, 'purchase', record, fill, [
        { field: 'timestamp', path: 'at' },
        { field: 'user_id', path: 'user.id' },
        { field: 'order_id', path: 'order.number' },
        { field: 'revenue', path: 'order.total' },
        { field: 'currency', path: 'currency' },
        { field: 'device_type', path: 'device' },
      ]);
      expect(result).toEqual({
        ok: true,
        clientEventId: false,
        event: {
          event_id: 'generated-id',
          timestamp: 1_704_067_200_000,
          user_id: '42',
          coupon_code: null,
          order_id: 'o-1',
          revenue: 25,
          currency: 'EUR',
          device_type: 'tablet',
        },
      });
    });

    it('takes same-named keys without a mapping, and refuses what is not an object', () => {
      expect(
        eventFromJsonRecord(
          contracts,
          'page_view',
          { user_id: 'u1', device_type: 'mobile', country: 'XX', extra: 1 },
          fill,
        ),
      ).toEqual({
        ok: false,
        failures: [
          {
            field: 'country',
            reason: 'must be one of "US", "GB", "DE", "FR", "JP", "BR", got "XX"',
          },
        ],
      });
      expect(eventFromJsonRecord(contracts, 'page_view', [1], fill)).toEqual({
        ok: false,
        failures: [{ field: '$', reason: 'expected a JSON object' }],
      });
    });
  });
});
