import { SerdeError } from './serde.error';

/**
 * The Confluent wire format: one magic byte (0), the schema id as a 4-byte big-endian
 * unsigned integer, then the Avro binary encoding of the value.
 */
export const MAGIC_BYTE = 0;
export const FRAME_HEADER_LENGTH = 5;
export const MAX_SCHEMA_ID = 0xffffffff;

export interface Frame {
  readonly schemaId: number;
  readonly payload: Buffer;
}

export function isValidSchemaId(schemaId: number): boolean {
  return Number.isInteger(schemaId) && schemaId >= 0 && schemaId <= MAX_SCHEMA_ID;
}

export function encodeFrame(schemaId: number, payload: Uint8Array): Buffer {
  if (!isValidSchemaId(schemaId)) {
    throw new SerdeError(
      'ENCODE_FAILED',
      `schema id ${String(schemaId)} is not an unsigned 32-bit integer`,
    );
  }
  const frame = Buffer.alloc(FRAME_HEADER_LENGTH + payload.length);
  frame.writeUInt8(MAGIC_BYTE, 0);
  frame.writeUInt32BE(schemaId, 1);
  frame.set(payload, FRAME_HEADER_LENGTH);
  return frame;
}

/** The schema id of a framed message, read in place; null when `buf` is not framed. */
export function frameSchemaId(buf: Uint8Array): number | null {
  if (buf.length < FRAME_HEADER_LENGTH || buf[0] !== MAGIC_BYTE) return null;
  return ((buf[1] << 24) >>> 0) + (buf[2] << 16) + (buf[3] << 8) + buf[4];
}

/** Splits a framed message. The payload shares memory with `buf`. */
export function decodeFrame(buf: Uint8Array): Frame {
  const bytes = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  if (bytes.length === 0) {
    throw new SerdeError(
      'TRUNCATED',
      'message is empty: expected a 5-byte header (magic byte 0, schema id)',
    );
  }
  const magic = bytes.readUInt8(0);
  if (magic !== MAGIC_BYTE) {
    throw new SerdeError(
      'UNKNOWN_MAGIC_BYTE',
      `unknown magic byte 0x${magic.toString(16).padStart(2, '0')}: expected 0x00 (Confluent wire format)`,
    );
  }
  if (bytes.length < FRAME_HEADER_LENGTH) {
    throw new SerdeError(
      'TRUNCATED',
      `message is ${bytes.length} byte(s) long: too short for the 5-byte header (magic byte, 4-byte schema id)`,
    );
  }
  return { schemaId: bytes.readUInt32BE(1), payload: bytes.subarray(FRAME_HEADER_LENGTH) };
}
