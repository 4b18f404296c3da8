import {
  API_VERSIONS,
  decodeApiVersionsResponse,
  decodeMetadataV4Response,
  encodeApiVersionsRequest,
  encodeMetadataV4Request,
} from './kafka-protocol';

describe('Kafka protocol helpers', () => {
  it('frames an ApiVersions v0 request', () => {
    const req = encodeApiVersionsRequest(7, 'ab');
    expect(req.readInt32BE(0)).toBe(req.length - 4);
    expect(req.readInt16BE(4)).toBe(API_VERSIONS);
    expect(req.readInt16BE(6)).toBe(0);
    expect(req.readInt32BE(8)).toBe(7);
    expect(req.readInt16BE(12)).toBe(2);
    expect(req.toString('utf8', 14)).toBe('ab');
  });

  it('decodes an ApiVersions v0 response', () => {
    const body = Buffer.alloc(2 + 4 + 12);
    body.writeInt16BE(0, 0);
    body.writeInt32BE(2, 2);
    [3, 4, 12, 18, 0, 4].forEach((v, i) => body.writeInt16BE(v, 6 + i * 2));
    expect(decodeApiVersionsResponse(body)).toEqual([
      { apiKey: 3, min: 4, max: 12 },
      { apiKey: 18, min: 0, max: 4 },
    ]);
  });

  it('rejects an ApiVersions error', () => {
    const body = Buffer.alloc(6);
    body.writeInt16BE(31, 0);
    expect(() => decodeApiVersionsResponse(body)).toThrow(/31/);
  });

  it('asks Metadata v4 for no topics', () => {
    const req = encodeMetadataV4Request(2, 'x');
    expect(req.readInt16BE(4)).toBe(3);
    expect(req.readInt16BE(6)).toBe(4);
    expect(req.readInt32BE(req.length - 5)).toBe(0);
  });

  it('decodes brokers, cluster id and controller from a Metadata v4 response', () => {
    const str = (s: string): Buffer => {
      const b = Buffer.alloc(2 + s.length);
      b.writeInt16BE(s.length, 0);
      b.write(s, 2);
      return b;
    };
    const int32 = (n: number): Buffer => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(n, 0);
      return b;
    };
    const nullStr = Buffer.from([0xff, 0xff]);
    const body = Buffer.concat([
      int32(0),
      int32(1),
      int32(1),
      str('127.0.0.1'),
      int32(9092),
      nullStr,
      str('abc'),
      int32(1),
      int32(0),
    ]);
    expect(decodeMetadataV4Response(body)).toEqual({
      brokers: [{ nodeId: 1, host: '127.0.0.1', port: 9092 }],
      clusterId: 'abc',
      controllerId: 1,
    });
  });
});
