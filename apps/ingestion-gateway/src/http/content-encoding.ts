import type { FastifyInstance } from 'fastify';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip, createInflate, type Gunzip, type Inflate } from 'node:zlib';
import { GatewayError } from './gateway.error';

/** Content-Encodings the gateway decodes; `identity` (or none) is the body as sent. */
const DECODERS: Readonly<Record<string, () => Gunzip | Inflate>> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
};

/** zlib's codes for input that is not what its label says (plain text labelled gzip, a cut stream). */
export const MALFORMED_ENCODING_CODES: readonly string[] = ['Z_DATA_ERROR', 'Z_BUF_ERROR'];

/** Pure: the decoder for a Content-Encoding header, `null` for none, or why it is refused. */
export function decoderFor(header: string | undefined):
  | { readonly ok: true; readonly decoder: (() => Gunzip | Inflate) | null }
  | {
      readonly ok: false;
      readonly error: GatewayError;
    } {
  const encoding = header?.trim().toLowerCase() ?? '';
  if (encoding === '' || encoding === 'identity') return { ok: true, decoder: null };
  const decoder = DECODERS[encoding];
  if (decoder !== undefined) return { ok: true, decoder };
  return {
    ok: false,
    error: new GatewayError(
      415,
      'UNSUPPORTED_ENCODING',
      `unsupported Content-Encoding ${JSON.stringify(encoding.slice(0, 64))}; send gzip, deflate or identity`,
    ),
  };
}

/**
 * Decompresses gzip and deflate request bodies before they are parsed. The decoded stream
 * reports the bytes received on the wire as `receivedEncodedLength`, which Fastify checks
 * against Content-Length, while the body limit applies to the decoded bytes: a bomb gets
 * 413 as soon as its output passes the limit, without inflating the rest.
 */
export function registerContentDecoding(fastify: FastifyInstance): void {
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    if (request.method === 'GET' || request.method === 'HEAD') {
      done(null, payload);
      return;
    }
    const chosen = decoderFor(request.headers['content-encoding']);
    if (!chosen.ok) {
      done(chosen.error, undefined);
      return;
    }
    if (chosen.decoder === null) {
      done(null, payload);
      return;
    }
    const decoded = chosen.decoder() as Gunzip & { receivedEncodedLength?: number };
    decoded.receivedEncodedLength = 0;
    payload.on('data', (chunk: Buffer) => {
      decoded.receivedEncodedLength = (decoded.receivedEncodedLength ?? 0) + chunk.length;
    });
    pipeline(payload as Readable, decoded, () => undefined);
    done(null, decoded);
  });
}
