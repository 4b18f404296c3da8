import { ecommerceModel } from '../testing/ecommerce-model';
import { matchesFilters, planSubscription } from './subscription-request';

const model = ecommerceModel();

describe(planSubscription.name, () => {
  it('accepts event types with filters on their dimensions or entity key', () => {
    expect(
      planSubscription(model, {
        event_types: ['purchase', 'purchase'],
        filters: [
          { field: 'currency', op: 'in', value: ['EUR', 'GBP'] },
          { field: 'user_id', op: 'eq', value: 'u1' },
        ],
      }),
    ).toEqual({
      ok: true,
      spec: {
        eventTypes: ['purchase'],
        filters: [
          { field: 'currency', op: 'in', values: ['EUR', 'GBP'] },
          { field: 'user_id', op: 'eq', values: ['u1'] },
        ],
      },
    });
  });

  it('reports every problem with its field', () => {
    expect(
      planSubscription(model, {
        event_types: ['purchase', 'refund'],
        filters: [
          { field: 'page_url', op: 'eq', value: '/' },
          { field: 'currency', op: 'eq', value: ['EUR'] },
          { field: 'currency', op: 'gt', value: 'EUR' },
          { field: 'currency', op: 'eq', value: 5 },
        ],
      }),
    ).toEqual({
      ok: false,
      failures: [
        {
          field: 'event_types.1',
          reason: 'unknown event type; known: page_view, add_to_cart, purchase',
        },
        { field: 'filters.0.field', reason: 'not a dimension of purchase' },
        { field: 'filters.1.value', reason: 'operator eq takes one value' },
        { field: 'filters.2.op', reason: 'operator gt needs a numeric field' },
        { field: 'filters.3.value', reason: 'expected string values for currency' },
      ],
    });
  });

  it('refuses a value an enumerated field never takes, as queries do', () => {
    const result = planSubscription(model, {
      event_types: ['page_view', 'purchase'],
      filters: [{ field: 'device_type', op: 'in', value: ['mobile', 'spaceship'] }],
    });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.failures).toEqual([
        {
          field: 'filters.0.value',
          reason: expect.stringMatching(/^"spaceship" is not a value of device_type; allowed: /),
        },
      ]);
  });

  it('refuses unknown fields, operators and an empty type list', () => {
    const result = planSubscription(model, {
      event_types: [],
      filters: [{ field: 'currency', op: 'like', value: '%' }],
      sql: 'SELECT 1',
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.failures.map((f) => f.field).sort()).toEqual([
        'event_types',
        'filters.0.op',
        'sql',
      ]);
    }
  });
});

describe(matchesFilters.name, () => {
  const event = { currency: 'EUR', revenue: 10, user_id: 'u1' };

  it.each([
    [[], true],
    [[{ field: 'currency', op: 'eq', values: ['EUR'] }], true],
    [[{ field: 'currency', op: 'neq', values: ['EUR'] }], false],
    [[{ field: 'currency', op: 'in', values: ['USD', 'EUR'] }], true],
    [[{ field: 'currency', op: 'not_in', values: ['USD', 'EUR'] }], false],
    [[{ field: 'revenue', op: 'gt', values: [10] }], false],
    [[{ field: 'revenue', op: 'gte', values: [10] }], true],
    [[{ field: 'revenue', op: 'lt', values: [11] }], true],
    [[{ field: 'revenue', op: 'lte', values: [9] }], false],
    [
      [
        { field: 'currency', op: 'eq', values: ['EUR'] },
        { field: 'user_id', op: 'eq', values: ['u2'] },
      ],
      false,
    ],
  ] as const)('%j → %s', (filters, expected) => {
    expect(matchesFilters(filters, event)).toBe(expected);
  });

  it('never matches a value that is not a record', () => {
    expect(matchesFilters([], null)).toBe(false);
  });
});
