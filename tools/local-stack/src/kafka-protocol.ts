import * as net from 'node:net';

/**
 * Just enough of the Kafka wire protocol to ask a broker whether it is really serving:
 * ApiVersions v0 and Metadata v4 (non-flexible versions, classic request header v1).
 * Deliberately no client library: this tool must not depend on kafkajs.
 */

export const API_METADATA = 3;
export const API_VERSIONS = 18;

export interface ApiVersionRange {
  apiKey: number;
  min: number;
  max: number;
}

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
}

export interface MetadataInfo {
  brokers: BrokerInfo[];
  clusterId: string | null;
  controllerId: number;
}

export function encodeRequest(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  clientId: string,
  body: Buffer,
): Buffer {
  const client = Buffer.from(clientId, 'utf8');
  const header = Buffer.alloc(2 + 2 + 4 + 2 + client.length);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(client.length, 8);
  client.copy(header, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + body.length, 0);
  return Buffer.concat([size, header, body]);
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  int8(): number {
    const v = this.buf.readInt8(this.pos);
    this.pos += 1;
    return v;
  }
  int16(): number {
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    const v = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return v;
  }
  string(): string {
    return this.nullableString() ?? '';
  }
}

export function encodeApiVersionsRequest(correlationId: number, clientId: string): Buffer {
  return encodeRequest(API_VERSIONS, 0, correlationId, clientId, Buffer.alloc(0));
}

/** ApiVersions v0 response body (after the correlation id). Throws on a non-zero error code. */
export function decodeApiVersionsResponse(body: Buffer): ApiVersionRange[] {
  const r = new Reader(body);
  const errorCode = r.int16();
  // 35 = UNSUPPORTED_VERSION: the broker still lists its ranges, which is all we need.
  if (errorCode !== 0 && errorCode !== 35) throw new Error(`ApiVersions error code ${errorCode}`);
  const n = r.int32();
  const ranges: ApiVersionRange[] = [];
  for (let i = 0; i < n; i++) ranges.push({ apiKey: r.int16(), min: r.int16(), max: r.int16() });
  return ranges;
}

/** Metadata v4 asking for no topics (empty array) and no auto-creation. */
export function encodeMetadataV4Request(correlationId: number, clientId: string): Buffer {
  const body = Buffer.alloc(5);
  body.writeInt32BE(0, 0);
  body.writeInt8(0, 4);
  return encodeRequest(API_METADATA, 4, correlationId, clientId, body);
}

export function decodeMetadataV4Response(body: Buffer): MetadataInfo {
  const r = new Reader(body);
  r.int32(); // throttle_time_ms
  const n = r.int32();
  const brokers: BrokerInfo[] = [];
  for (let i = 0; i < n; i++) {
    const nodeId = r.int32();
    const host = r.string();
    const port = r.int32();
    r.nullableString(); // rack
    brokers.push({ nodeId, host, port });
  }
  const clusterId = r.nullableString();
  const controllerId = r.int32();
  return { brokers, clusterId, controllerId };
}

/** Sends one request and returns the response body (without size and correlation id). */
export function kafkaRoundTrip(
  host: string,
  port: number,
  request: Buffer,
  timeoutMs: number,
): Promise<Buffer> {
  const correlationId = request.readInt32BE(8);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let acc = Buffer.alloc(0);
    const finish = (err: Error | null, value: Buffer = Buffer.alloc(0)): void => {
      socket.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    socket.setTimeout(timeoutMs, () =>
      finish(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)),
    );
    socket.once('error', (err) => finish(err));
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      acc = Buffer.concat([acc, chunk]);
      if (acc.length < 4) return;
      const size = acc.readInt32BE(0);
      if (acc.length < 4 + size) return;
      const got = acc.readInt32BE(4);
      if (got !== correlationId) {
        finish(new Error(`unexpected correlation id ${got}`));
        return;
      }
      finish(null, acc.subarray(8, 4 + size));
    });
    socket.once('end', () => finish(new Error(`${host}:${port} closed the connection`)));
  });
}

export interface BrokerProbe {
  apiVersions: ApiVersionRange[];
  metadata: MetadataInfo | null;
}

/** ApiVersions, then (when the broker supports v4) Metadata. Throws when the broker does not answer properly. */
export async function probeBroker(
  host: string,
  port: number,
  timeoutMs = 3000,
): Promise<BrokerProbe> {
  const clientId = 'local-stack';
  const apiVersions = decodeApiVersionsResponse(
    await kafkaRoundTrip(host, port, encodeApiVersionsRequest(1, clientId), timeoutMs),
  );
  const md = apiVersions.find((v) => v.apiKey === API_METADATA);
  let metadata: MetadataInfo | null = null;
  if (md && md.min <= 4 && md.max >= 4) {
    metadata = decodeMetadataV4Response(
      await kafkaRoundTrip(host, port, encodeMetadataV4Request(2, clientId), timeoutMs),
    );
  }
  return { apiVersions, metadata };
}
