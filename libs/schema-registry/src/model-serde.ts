import type { DomainModel } from '@platform/contracts';
import { generateAllSchemas, toJson } from './avro-schema';
import { forSchema } from './avro-types';
import { AvroSerde } from './serde';

/** A serde over a model's event schemas, and the framing of one event as producers write it. */
export interface ModelSerde {
  readonly serde: AvroSerde;
  /** The event Avro-encoded with its type's schema and framed with that schema's id. */
  encodeEvent(eventType: string, event: unknown): Buffer;
}

/**
 * The model's generated event schemas numbered 1 to n, with no registry service behind them:
 * for benches and tests that need framed events (and their decoding) without one.
 */
export function modelSerde(model: DomainModel): ModelSerde {
  const byType = new Map(
    Object.entries(generateAllSchemas(model)).map(([eventType, schema], i) => [
      eventType,
      { id: i + 1, text: toJson(schema), type: forSchema(schema) },
    ]),
  );
  const texts = new Map([...byType.values()].map(({ id, text }) => [id, text]));
  const serde = new AvroSerde({
    getSchemaById: async (id) => {
      const text = texts.get(id);
      if (text === undefined) throw new Error(`schema ${id} not found`);
      return text;
    },
  });
  return {
    serde,
    encodeEvent(eventType, event) {
      const schema = byType.get(eventType);
      if (schema === undefined) throw new Error(`event type ${eventType} is not in the model`);
      return serde.encode(schema.id, schema.type, event);
    },
  };
}
