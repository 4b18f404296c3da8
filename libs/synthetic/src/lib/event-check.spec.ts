import { findEventType, type EventTypeSpec } from '@platform/contracts';
import { checkEvent } from './event-check';
import { ecommerceModel } from './testing-model';

const purchase = findEventType(ecommerceModel, 'purchase') as EventTypeSpec;
const valid = {
  event_id: '0a5b52fc-5b27-4a02-8c61-9fa0cf271282',
  timestamp: 1,
  user_id: 'user_1',
  coupon_code: null,
  order_id: 'ord_1',
  revenue: 10.5,
  currency: 'USD',
  device_type: 'mobile',
};

describe(checkEvent.name, () => {
  it('accepts a valid event with a null attribute', () => {
    expect(checkEvent(ecommerceModel, purchase, valid)).toEqual([]);
  });

  it('reports every problem with its field', () => {
    const { order_id: _dropped, ...rest } = valid;
    const issues = checkEvent(ecommerceModel, purchase, {
      ...rest,
      revenue: 2000.01,
      currency: 'CHF',
      device_type: null,
      extra: 1,
    });
    expect(issues.map((i) => i.field).sort()).toEqual([
      'currency',
      'device_type',
      'extra',
      'order_id',
      'revenue',
    ]);
  });
});
