import { modelSerde } from './model-serde';
import { loadEcommerceModel } from './testing/ecommerce-model';
import { encodeFrame, frameSchemaId } from './wire-format';

describe('modelSerde', () => {
  const model = loadEcommerceModel();
  const event = {
    event_id: 'e-1',
    timestamp: Date.parse('2026-01-02T03:04:05.678Z'),
    user_id: 'user_1',
    page_url: '/products/1',
    page_title: null,
    referrer: null,
    device_type: 'mobile',
    country: 'DE',
  };

  it('frames an event with its type’s number, from 1 in model order, and decodes it back', async () => {
    const { serde, encodeEvent } = modelSerde(model);
    const framed = encodeEvent('page_view', event);
    expect(frameSchemaId(framed)).toBe(
      model.eventTypes.findIndex((t) => t.name === 'page_view') + 1,
    );
    expect(await serde.decode(framed)).toEqual(event);
  });

  it('refuses an event type the model does not have, and a schema id it did not number', async () => {
    const { serde, encodeEvent } = modelSerde(model);
    expect(() => encodeEvent('no_such_type', event)).toThrow(/not in the model/);
    const unknownId = encodeFrame(model.eventTypes.length + 1, Buffer.alloc(0));
    await expect(serde.decode(unknownId)).rejects.toThrow();
  });
});
