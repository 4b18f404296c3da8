import fc from 'fast-check';
import { frameRequest } from './request-framing';

// kafkajs' own framing: this spec never creates a Kafka client, so nothing replaced it.
const kafkajsFraming = jest.requireActual('kafkajs/src/protocol/request') as (
  args: unknown,
) => Promise<{ buffer: Buffer }>;
const Encoder = jest.requireActual('kafkajs/src/protocol/encoder') as new () => {
  writeBytes(b: Buffer): unknown;
  buf: Buffer;
  offset: number;
  buffer: Buffer;
};

describe(frameRequest.name, () => {
  it('frames a request byte for byte as kafkajs does', async () => {
    expect(kafkajsFraming).not.toBe(frameRequest);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 80 }),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.option(fc.string({ unit: 'grapheme', maxLength: 30 }), { nil: null }),
        fc.uint8Array({ maxLength: 3_000 }),
        async (apiKey, apiVersion, correlationId, clientId, body) => {
          // The body as kafkajs' request encoders return it: an Encoder.
          const encode = async () => {
            const e = new Encoder();
            e.buf = Buffer.from(body);
            e.offset = body.length;
            return e;
          };
          const args = { correlationId, clientId, request: { apiKey, apiVersion, encode } };
          const ours = await frameRequest(args);
          expect(ours.buffer).toEqual((await kafkajsFraming(args)).buffer);
          expect(ours.buf).toBe(ours.buffer);
          expect(ours.offset).toBe(ours.buffer.length);
        },
      ),
    );
  });
});
