import Fastify, { type FastifyInstance } from 'fastify';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { PlatformMetrics } from '../metrics/platform-metrics';
import { InFlightTracker } from '../shutdown/in-flight-tracker';
import { installHttpInstrumentation } from './http-instrumentation';

describe('installHttpInstrumentation', () => {
  let app: FastifyInstance;
  let tracker: InFlightTracker;
  let registry: Registry;
  let release: () => void = () => undefined;

  beforeEach(async () => {
    tracker = new InFlightTracker();
    registry = new Registry();
    app = Fastify();
    installHttpInstrumentation(app, {
      tracker,
      metrics: new PlatformMetrics(registry),
      drainingBody: () => ({ error: { code: 'DRAINING' } }),
    });
    app.get('/things/:id', async () => ({ ok: true }));
    app.get('/slow', () => new Promise((resolve) => (release = () => resolve({ slow: true }))));
    app.post('/slow', () => new Promise((resolve) => (release = () => resolve({ slow: true }))));
    app.get('/healthz', async () => ({ status: 'ok' }));
    await app.ready();
  });

  afterEach(() => app.close());

  const metric = async (name: string): Promise<string[]> =>
    (await registry.metrics()).split('\n').filter((l) => l.startsWith(`platform_${name}`));

  it('counts requests by route pattern (never the raw URL) and status', async () => {
    await app.inject('/things/1');
    await app.inject('/things/2?key=secret');
    await app.inject('/nowhere');
    const lines = await metric('http_requests_total');
    expect(lines).toContain(
      'platform_http_requests_total{method="GET",route="/things/:id",status="200"} 2',
    );
    expect(lines.some((l) => l.includes('status="404"'))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/secret|things\/1/);
    expect(await metric('http_request_duration_seconds_count')).toContain(
      'platform_http_request_duration_seconds_count{method="GET",route="/things/:id"} 2',
    );
  });

  it('holds a request in flight until its answer, so a drain waits for it', async () => {
    const answer = app.inject('/slow');
    await new Promise((r) => setImmediate(r));
    expect(tracker.inFlight).toBe(1);
    expect(await metric('http_requests_in_flight')).toContain('platform_http_requests_in_flight 1');
    release();
    expect((await answer).statusCode).toBe(200);
    expect(await tracker.waitForIdle(1_000)).toBe(true);
    expect(await metric('http_requests_in_flight')).toContain('platform_http_requests_in_flight 0');
  });

  it('answers 503 with the service’s body while draining, and still answers probes', async () => {
    tracker.startDraining('test');
    const refused = await app.inject('/things/1');
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['connection']).toBe('close');
    expect(refused.json()).toEqual({ error: { code: 'DRAINING' } });
    expect((await app.inject('/healthz')).statusCode).toBe(200);
  });

  it('counts a request out when its client hangs up after sending it whole, before the answer', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    await new Promise((done) => socket.once('connect', done));
    // A body read to its end: a request cut before that would be marked aborted.
    socket.write(
      'POST /slow HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}',
    );
    while (tracker.inFlight === 0) await new Promise((done) => setTimeout(done, 5));
    socket.destroy();
    // Node does not mark a complete request aborted: only the response's close tells.
    expect(await tracker.waitForIdle(2_000)).toBe(true);
    expect(await metric('http_requests_in_flight')).toContain('platform_http_requests_in_flight 0');
    release();
  });
});
