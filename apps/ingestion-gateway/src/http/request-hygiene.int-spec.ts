import { eventTopic } from '@platform/contracts';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { deflateSync, gzipSync } from 'node:zlib';
import { countRecords, http, startGatewayRun, type GatewayRun } from '../testing/gateway-harness';

/** Writes `head` on a raw socket, then `trickle` one byte at a time; resolves with all it read. */
function slowRequest(url: string, head: string, trickle = ''): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => {
      clearInterval(timer);
      resolve(received);
    });
    socket.write(head);
    let i = 0;
    const timer = setInterval(() => {
      if (i < trickle.length && !socket.destroyed) socket.write(trickle.charAt(i++));
    }, 300);
  });
}

describe('ingestion gateway: encodings and slow clients', () => {
  let run: GatewayRun;

  beforeAll(async () => {
    run = await startGatewayRun({
      GATEWAY_MAX_BODY_BYTES: String(64 * 1024),
      GATEWAY_REQUEST_TIMEOUT_MS: '3000',
      GATEWAY_HEADERS_TIMEOUT_MS: '1500',
    });
  });

  afterAll(() => run?.close());

  const views = (): Promise<number> =>
    countRecords(run.kafka, eventTopic(run.config.topics, 'page_view'));
  const event = (): string =>
    JSON.stringify({ event_id: randomUUID(), user_id: 'u1', device_type: 'mobile', country: 'US' });
  const send = (raw: Buffer | string, encoding: string) =>
    http(`${run.gateway.url}/v1/events/page_view`, {
      key: run.key,
      raw,
      headers: { 'content-encoding': encoding },
    });

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
  ])('decompresses a %s body and accepts the event', async (encoding, compress) => {
    const before = await views();
    const res = await send(compress(Buffer.from(event())), encoding);
    expect(res.status).toBe(202);
    expect(await views()).toBe(before + 1);
  });

  it('answers 413 for a gzip bomb, and nothing reaches Kafka', async () => {
    const before = await views();
    // 50 MB of spaces inside a JSON string: about 50 KB compressed, far over the 64 KiB limit.
    const bomb = gzipSync(Buffer.from(`{"user_id": "${' '.repeat(50 * 1024 * 1024)}"}`));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const res = await send(bomb, 'gzip');
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await views()).toBe(before);
  });

  it.each(['zstd', 'br', 'compress', 'gzip, br'])(
    'answers 415 for Content-Encoding %s, and nothing reaches Kafka',
    async (encoding) => {
      const before = await views();
      const res = await send(event(), encoding);
      expect(res.status).toBe(415);
      expect(res.body.error.code).toBe('UNSUPPORTED_ENCODING');
      expect(await views()).toBe(before);
    },
  );

  it.each(['gzip', 'deflate'])(
    'answers 400 for a plain body labelled %s, and nothing reaches Kafka',
    async (encoding) => {
      const before = await views();
      const res = await send(event(), encoding);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('MALFORMED_ENCODING');
      expect(await views()).toBe(before);
    },
  );

  it('answers 400 for a gzip body cut short', async () => {
    const whole = gzipSync(Buffer.from(event()));
    const res = await send(whole.subarray(0, whole.length - 10), 'gzip');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('MALFORMED_ENCODING');
  });

  it('closes a connection whose headers never end with 408', async () => {
    const before = await views();
    const answer = await slowRequest(
      run.gateway.url,
      `POST /v1/events/page_view HTTP/1.1\r\nHost: x\r\nx-write-key: ${run.key}\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(bodyOf(answer)).toMatchObject({ error: { code: 'REQUEST_TIMEOUT' } });
    expect(await views()).toBe(before);
  });

  it('closes a connection whose body trickles past the request timeout with 408', async () => {
    const before = await views();
    const body = event();
    const answer = await slowRequest(
      run.gateway.url,
      `POST /v1/events/page_view HTTP/1.1\r\nHost: x\r\nx-write-key: ${run.key}\r\n` +
        `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
      body,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(await views()).toBe(before);
  });

  it.each([
    [
      'both Content-Length and chunked',
      'content-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    ['a bad chunk size', 'transfer-encoding: chunked\r\n\r\nzz\r\n'],
    ['a NUL in a header', 'x-note: a\u0000b\r\n\r\n'],
  ])('answers HTTP the parser refuses (%s) with 400 in the error shape', async (_what, rest) => {
    const before = await views();
    const answer = await slowRequest(
      run.gateway.url,
      `POST /v1/events/page_view HTTP/1.1\r\nHost: x\r\nx-write-key: ${run.key}\r\n` +
        `content-type: application/json\r\n${rest}`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(bodyOf(answer)).toMatchObject({
      error: {
        code: 'MALFORMED_HTTP',
        message: expect.stringMatching(/^the request is not valid HTTP\/1\.1 \(HPE_/),
      },
    });
    expect(await views()).toBe(before);
  });

  it('answers headers over the limit with 431, and a URL it cannot decode with 400, in the error shape', async () => {
    const big = await slowRequest(
      run.gateway.url,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(big).toMatch(/^HTTP\/1\.1 431/);
    expect(bodyOf(big)).toMatchObject({ error: { code: 'HEADERS_TOO_LARGE' } });
    const res = await http(`${run.gateway.url}/v1/subscribe/%FF`, { key: run.key });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'BAD_URL' } });
  });
});

/** The JSON body of a raw HTTP answer. */
function bodyOf(answer: string): unknown {
  return JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
}
