// kafkajs 2.2.4 frames every request (size, API key and version, correlation id, client id,
// then the body) by copying the encoded body into a new zero-filled buffer, and that buffer
// again into another one behind the size: two allocations and two copies of every produce
// request (a tenth of EventProducer's CPU). This writes the same bytes into one buffer of
// the exact size, copying the body once. kafkajs' connection keeps the function it required
// when kafkajs loaded, so the replacement must be in place before that: kafka-client.ts
// imports this module before anything imports kafkajs.
import { replaceKafkajsModule } from './kafkajs-modules';

/** What kafkajs' connection hands to its request framing. */
export interface FramingArgs {
  readonly correlationId: number;
  readonly clientId: string | null | undefined;
  readonly request: {
    readonly apiKey: number;
    readonly apiVersion: number;
    encode(): Promise<{ readonly buffer: Buffer }> | { readonly buffer: Buffer };
  };
}

/** The framed request: kafkajs' connection reads `buffer` (the `Encoder` shape). */
export interface FramedRequest {
  readonly buf: Buffer;
  readonly offset: number;
  readonly buffer: Buffer;
}

/** A request as kafkajs' `protocol/request` frames it, byte for byte, in one buffer. */
export async function frameRequest({
  correlationId,
  clientId,
  request,
}: FramingArgs): Promise<FramedRequest> {
  const body = (await request.encode()).buffer;
  const clientIdBytes = clientId == null ? -1 : Buffer.byteLength(clientId, 'utf8');
  const size = 2 + 2 + 4 + 2 + Math.max(clientIdBytes, 0) + body.length;
  const buf = Buffer.allocUnsafe(4 + size);
  let at = buf.writeInt32BE(size, 0);
  at = buf.writeInt16BE(request.apiKey, at);
  at = buf.writeInt16BE(request.apiVersion, at);
  at = buf.writeInt32BE(correlationId, at);
  at = buf.writeInt16BE(clientIdBytes, at);
  if (clientIdBytes > 0) at += buf.write(clientId as string, at, clientIdBytes, 'utf8');
  body.copy(buf, at);
  return { buf, offset: buf.length, buffer: buf };
}

replaceKafkajsModule('kafkajs/src/protocol/request', () => frameRequest);
