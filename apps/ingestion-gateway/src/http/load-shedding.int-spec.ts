import { eventTopic } from '@platform/contracts';
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { countRecords, http, startGatewayRun, type GatewayRun } from '../testing/gateway-harness';

/**
 * A request held in flight: its head and half its JSON body written on a raw socket (the
 * events fast path admits a request before reading its body). `finish` writes the rest and
 * resolves with the answer (`connection: close` has the gateway close after it); `hangUp` closes the socket unanswered.
 */
interface HeldRequest {
  finish(): Promise<string>;
  hangUp(): void;
}

async function holdRequest(
  url: string,
  key: string,
  body: string,
  framing: 'content-length' | 'chunked' = 'content-length',
): Promise<HeldRequest> {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect(Number(port), hostname);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const half = Math.floor(body.length / 2);
  const head = `POST /v1/events/page_view HTTP/1.1\r\nHost: x\r\nx-write-key: ${key}\r\ncontent-type: application/json\r\nconnection: close\r\n`;
  // A chunked body is not the fast path's: Fastify serves it.
  const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
  socket.write(
    framing === 'chunked'
      ? `${head}transfer-encoding: chunked\r\n\r\n${chunk(body.slice(0, half))}`
      : `${head}content-length: ${body.length}\r\n\r\n${body.slice(0, half)}`,
  );
  return {
    finish: () => {
      // Not `end`: a client's FIN makes Node's server close before it answers.
      socket.write(
        framing === 'chunked' ? `${chunk(body.slice(half))}0\r\n\r\n` : body.slice(half),
      );
      return closed;
    },
    hangUp: () => socket.destroy(),
  };
}

describe('ingestion gateway: the in-flight limit at the front door, fast path and Fastify alike', () => {
  let run: GatewayRun;

  beforeAll(async () => {
    // Bodies up to 4 KiB, and 6,000 bytes of them in flight at once.
    run = await startGatewayRun({
      GATEWAY_MAX_IN_FLIGHT: '2',
      GATEWAY_MAX_BODY_BYTES: '4096',
      GATEWAY_MAX_IN_FLIGHT_BYTES: '6000',
    });
  });

  afterAll(() => run?.close());

  const views = (): Promise<number> =>
    countRecords(run.kafka, eventTopic(run.config.topics, 'page_view'));
  /** A new event's JSON; `pageUrl` pads it to the size a test needs. */
  const event = (pageUrl?: string): string =>
    JSON.stringify({
      event_id: randomUUID(),
      user_id: 'u1',
      device_type: 'mobile',
      country: 'US',
      ...(pageUrl === undefined ? {} : { page_url: pageUrl }),
    });
  /** An event of about 3,000 bytes: two of them pass the 6,000 bytes in flight. */
  const largeEvent = (): string => event(`/${'p'.repeat(2900)}`);
  /** Posts a new event on the fast path. */
  const postEvent = () =>
    http(`${run.gateway.url}/v1/events/page_view`, { key: run.key, raw: event() });
  const post = () => postEvent().then((r) => r.status);
  /** Waits until the gateway has read the heads of `held` requests (the scrape counts itself). */
  const untilHeld = async (held: number): Promise<void> => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const metrics = await fetch(`${run.gateway.url}/metrics`).then((r) => r.text());
      const inFlight = /^platform_http_requests_in_flight (\d+)/m.exec(metrics)?.[1];
      if (Number(inFlight) >= held + 1) return;
      await new Promise((done) => setTimeout(done, 50));
    }
    throw new Error(`the gateway never held ${held} requests`);
  };
  /** Refusals for bodies in flight so far, from the gateway's metrics. */
  const bytesRefusals = async (): Promise<number> => {
    const metrics = await fetch(`${run.gateway.url}/metrics`).then((r) => r.text());
    const line = /^platform_gateway_requests_shed_total\{reason="in_flight_bytes"\} (\d+)/m.exec(
      metrics,
    );
    return Number(line?.[1] ?? 0);
  };
  /** Posts until the gateway admits one: a held request's slot frees when its socket closes. */
  const admittedAgain = async (): Promise<number> => {
    for (let attempt = 0; attempt < 50; attempt++) {
      const status = await post();
      if (status !== 503) return status;
      await new Promise((done) => setTimeout(done, 100));
    }
    return 503;
  };

  it('sheds with 503 OVERLOADED and Retry-After at the limit, never the probes, and frees a slot when a client hangs up', async () => {
    const before = await views();
    const first = await holdRequest(run.gateway.url, run.key, event());
    const second = await holdRequest(run.gateway.url, run.key, event());
    await untilHeld(2);

    // Both slots taken: the next request is refused before its body is read.
    const refused = await postEvent();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body.error.code).toBe('OVERLOADED');
    expect((await http(`${run.gateway.url}/readyz`)).status).toBe(200);

    // A client that hangs up mid-body gives its slot back; the held one is still answered.
    first.hangUp();
    expect(await admittedAgain()).toBe(202);
    expect(await second.finish()).toMatch(/^HTTP\/1\.1 202/);

    // Nothing refused or cut off was produced: the two answered 202 are in Kafka, once.
    expect(await views()).toBe(before + 2);
    // Both slots are free again.
    expect(await Promise.all([post(), post()])).toEqual([202, 202]);
  });

  it('refuses a body that would take the bodies in flight past their limit, and admits it once they left', async () => {
    const before = await views();
    const shedBefore = await bytesRefusals();
    const held = await holdRequest(run.gateway.url, run.key, largeEvent());
    await untilHeld(1);

    // One slot is free, but not the bytes for a second large body: refused before it is read.
    const refused = await http(`${run.gateway.url}/v1/events/page_view`, {
      key: run.key,
      raw: largeEvent(),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body.error.code).toBe('OVERLOADED');
    expect(refused.body.error.message).toMatch(/limit of 6000 bytes of request bodies in flight/);
    expect(await bytesRefusals()).toBe(shedBefore + 1);
    // A small body still fits beside the held one.
    expect(await post()).toBe(202);

    expect(await held.finish()).toMatch(/^HTTP\/1\.1 202/);
    // The held body's bytes are given back: a large body passes again.
    const again = await http(`${run.gateway.url}/v1/events/page_view`, {
      key: run.key,
      raw: largeEvent(),
    });
    expect(again.status).toBe(202);
    expect(await views()).toBe(before + 3);
  });

  it('counts requests Fastify serves against the same limit, and frees their slots too', async () => {
    const before = await views();
    const chunked = await holdRequest(run.gateway.url, run.key, event(), 'chunked');
    const fast = await holdRequest(run.gateway.url, run.key, event());
    await untilHeld(2);

    const refused = await postEvent();
    expect(refused.status).toBe(503);
    expect(refused.body.error.message).toMatch(/limit of 2 requests in flight/);

    // The request on the Fastify path hangs up: its slot is given back as well.
    chunked.hangUp();
    expect(await admittedAgain()).toBe(202);
    expect(await fast.finish()).toMatch(/^HTTP\/1\.1 202/);
    const second = await holdRequest(run.gateway.url, run.key, event(), 'chunked');
    expect(await second.finish()).toMatch(/^HTTP\/1\.1 202/);
    expect(await views()).toBe(before + 3);
  });
});
