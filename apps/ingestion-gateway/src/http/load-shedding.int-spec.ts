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

async function holdRequest(url: string, key: string, body: string): Promise<HeldRequest> {
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
  socket.write(
    `POST /v1/events/page_view HTTP/1.1\r\nHost: x\r\nx-write-key: ${key}\r\n` +
      `content-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n` +
      body.slice(0, half),
  );
  return {
    finish: () => {
      // Not `end`: a client's FIN makes Node's server close before it answers.
      socket.write(body.slice(half));
      return closed;
    },
    hangUp: () => socket.destroy(),
  };
}

describe('ingestion gateway: the in-flight limit on the events fast path', () => {
  let run: GatewayRun;

  beforeAll(async () => {
    run = await startGatewayRun({ GATEWAY_MAX_IN_FLIGHT: '2' });
  });

  afterAll(() => run?.close());

  const views = (): Promise<number> =>
    countRecords(run.kafka, eventTopic(run.config.topics, 'page_view'));
  const event = (): string =>
    JSON.stringify({ event_id: randomUUID(), user_id: 'u1', device_type: 'mobile', country: 'US' });
  const post = () =>
    http(`${run.gateway.url}/v1/events/page_view`, { key: run.key, raw: event() }).then(
      (r) => r.status,
    );
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

    // Both slots taken: the next request is refused before its body is read.
    const refused = await http(`${run.gateway.url}/v1/events/page_view`, {
      key: run.key,
      raw: event(),
    });
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
});
