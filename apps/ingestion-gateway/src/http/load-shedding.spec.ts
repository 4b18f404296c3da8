import Fastify from 'fastify';
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
