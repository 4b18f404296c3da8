import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { registerLoadShedding } from './load-shedding';

describe(registerLoadShedding.name, () => {
  it('refuses API requests over the in-flight limit with 503 OVERLOADED and Retry-After, and admits again once one is answered', async () => {
    const fastify = Fastify();
    let shed = 0;
    const gate = registerLoadShedding(fastify, {
      maxInFlight: 2,
      retryAfterSeconds: 1,
      onShed: () => (shed += 1),
    });
    const release: (() => void)[] = [];
    fastify.post('/v1/events', () => new Promise((done) => release.push(() => done({ ok: 1 }))));
    fastify.get('/readyz', () => ({ ready: true }));
    await fastify.ready();

    const first = fastify.inject({ method: 'POST', url: '/v1/events', payload: {} });
    const second = fastify.inject({ method: 'POST', url: '/v1/events', payload: {} });
    while (release.length < 2) await new Promise((done) => setImmediate(done));
    expect(gate.inFlight()).toBe(2);

    const refused = await fastify.inject({ method: 'POST', url: '/v1/events', payload: {} });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json()).toMatchObject({ error: { code: 'OVERLOADED' } });
    expect(shed).toBe(1);
    // Probes are never shed.
    expect((await fastify.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);

    release.shift()?.();
    expect((await first).statusCode).toBe(200);
    expect(gate.inFlight()).toBe(1);
    const third = fastify.inject({ method: 'POST', url: '/v1/events', payload: {} });
    while (release.length < 2) await new Promise((done) => setImmediate(done));
    for (const r of release.splice(0)) r();
    expect((await second).statusCode).toBe(200);
    expect((await third).statusCode).toBe(200);
    expect(gate.inFlight()).toBe(0);
    await fastify.close();
  });
});

describe(`${registerLoadShedding.name} over real sockets`, () => {
  it('counts a request out when its client hangs up after sending the whole body, before the answer', async () => {
    const fastify = Fastify();
    const gate = registerLoadShedding(fastify, { maxInFlight: 1, retryAfterSeconds: 1 });
    const release: (() => void)[] = [];
    const handled: Promise<void>[] = [];
    fastify.post('/v1/events', (_request, reply) => {
      handled.push(
        new Promise<void>((done) =>
          release.push(() => {
            void reply.code(202).send({ ok: 1 });
            done();
          }),
        ),
      );
      return reply;
    });
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    const { port } = fastify.server.address() as AddressInfo;
    const body = '{"events":[]}';
    // The client sends a complete request and closes its socket before the answer: Node
    // does not mark such a request aborted, so neither onResponse nor onRequestAbort runs.
    const socket = connect(port, '127.0.0.1');
    await new Promise((done) => socket.once('connect', done));
    socket.write(
      `POST /v1/events HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
    while (release.length < 1) await new Promise((done) => setTimeout(done, 5));
    expect(gate.inFlight()).toBe(1);
    socket.destroy();
    const deadline = Date.now() + 2_000;
    while (gate.inFlight() !== 0 && Date.now() < deadline)
      await new Promise((done) => setTimeout(done, 5));
    expect(gate.inFlight()).toBe(0);
    release.shift()?.();
    await Promise.all(handled);
    expect(gate.inFlight()).toBe(0);
    // The limit of 1 admits the next request.
    const next = fetch(`http://127.0.0.1:${port}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    while (release.length < 1) await new Promise((done) => setTimeout(done, 5));
    release.shift()?.();
    expect((await next).status).toBe(202);
    await fastify.close();
  });
});
