import { SummaryBuilder } from './summary';
import { SyntheticError } from './synthetic.error';
import { ecommerceModel } from './testing-model';

describe(SummaryBuilder.name, () => {
  it('adds revenue in whole cents, so many small amounts do not drift', () => {
    const summary = new SummaryBuilder(ecommerceModel);
    let float = 0;
    for (let i = 0; i < 10_000; i++) {
      summary.add('purchase', { timestamp: i, revenue: 0.1 });
      float += 0.1;
    }
    expect(float).not.toBe(1000);
    expect(summary.snapshot().revenueSum).toBe(1000);
    expect(summary.snapshot().revenueCents).toBe(100_000);
  });

  it('counts every model type, zero included, and tracks the event-time range', () => {
    const summary = new SummaryBuilder(ecommerceModel);
    summary.add('page_view', { timestamp: 20 }, 'out_of_order');
    summary.add('page_view', { timestamp: 10 });
    expect(summary.snapshot()).toEqual({
      total: 2,
      countsByType: { page_view: 2, add_to_cart: 0, purchase: 0 },
      countsByDelivery: { in_order: 1, out_of_order: 1, beyond_lateness: 0 },
      revenueCents: 0,
      revenueSum: 0,
      firstTimestamp: 10,
      lastTimestamp: 20,
    });
  });

  it('merges a part counted apart into the same totals as adding its events one by one', () => {
    const events: [string, { timestamp: number; revenue?: number }, 'in_order' | 'out_of_order'][] =
      [
        ['page_view', { timestamp: 30 }, 'in_order'],
        ['purchase', { timestamp: 5, revenue: 12.34 }, 'out_of_order'],
        ['purchase', { timestamp: 50, revenue: 0.1 }, 'in_order'],
        ['add_to_cart', { timestamp: 20 }, 'in_order'],
      ];
    const whole = new SummaryBuilder(ecommerceModel);
    for (const [type, event, delivery] of events) whole.add(type, event, delivery);
    const merged = new SummaryBuilder(ecommerceModel);
    merged.add('page_view', { timestamp: 40 });
    const expected = new SummaryBuilder(ecommerceModel);
    expected.add('page_view', { timestamp: 40 });
    for (const [type, event, delivery] of events) expected.add(type, event, delivery);
    merged.merge(whole);
    merged.merge(new SummaryBuilder(ecommerceModel)); // an empty part changes nothing
    expect(merged.snapshot()).toEqual(expected.snapshot());
    expect(merged.snapshot()).toMatchObject({
      total: 5,
      revenueCents: 1244,
      firstTimestamp: 5,
      lastTimestamp: 50,
    });
  });

  it('rejects a revenue field the model does not have', () => {
    expect(
      () => new SummaryBuilder(ecommerceModel, { eventType: 'purchase', field: 'nope' }),
    ).toThrow(SyntheticError);
  });
});
