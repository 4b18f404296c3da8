// Test support only (not exported from index.ts): the ecommerce model as config/ declares it.
import { validateDomainModel, type DomainModel } from '@platform/contracts';

export function modelOf(raw: unknown): DomainModel {
  const result = validateDomainModel(raw);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.model;
}

const device = { name: 'device_type', type: 'string', values: ['desktop', 'mobile', 'tablet'] };

export const ecommerceModel: DomainModel = modelOf({
  domain: 'ecommerce',
  version: 'v1',
  contract: { namespace: 'com.streaming.events' },
  entities: { user: { primary_key: 'user_id' } },
  event_types: [
    {
      name: 'page_view',
      entity: 'user',
      attributes: ['page_url', 'page_title', 'referrer'],
      dimensions: [
        device,
        { name: 'country', type: 'string', values: ['US', 'GB', 'DE', 'FR', 'JP', 'BR'] },
      ],
    },
    {
      name: 'add_to_cart',
      entity: 'user',
      attributes: [{ name: 'price', type: 'double', min: 1, max: 500 }],
      dimensions: ['product_id', { name: 'quantity', type: 'int', min: 1, max: 5 }, device],
    },
    {
      name: 'purchase',
      entity: 'user',
      attributes: ['coupon_code'],
      dimensions: [
        'order_id',
        { name: 'revenue', type: 'double', min: 5, max: 2000 },
        { name: 'currency', type: 'string', values: ['USD', 'EUR', 'GBP'] },
        device,
      ],
    },
  ],
});

/** A model with none of the funnel's names, and a numeric entity key. */
export const sensorModel: DomainModel = modelOf({
  domain: 'iot',
  version: 'v1',
  contract: {},
  entities: { device: { primary_key: 'device_id', primary_key_type: 'long' } },
  event_types: [
    {
      name: 'reading',
      entity: 'device',
      attributes: [
        { name: 'battery', type: 'float', min: 0, max: 1 },
        { name: 'ok', type: 'boolean' },
      ],
      dimensions: [
        { name: 'temperature', type: 'double', min: -40, max: 85 },
        { name: 'seq', type: 'long' },
        { name: 'taken_at', type: 'timestamp' },
      ],
    },
    {
      name: 'alarm',
      entity: 'device',
      dimensions: [{ name: 'level', type: 'int', values: [1, 2, 3] }, 'message'],
    },
  ],
});
