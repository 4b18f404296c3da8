import type { FastifyReply } from 'fastify';
import type { RegistryStore } from '../persistence/registry.store';
import { HealthController } from './health.controller';

function setup(ping: () => Promise<void>) {
  const store = { ping: jest.fn(ping) } as unknown as RegistryStore;
  const status = jest.fn();
  const reply = { status } as unknown as FastifyReply;
  status.mockReturnValue(reply);
  return { sut: new HealthController(store), reply, status };
}

describe(HealthController.name, () => {
  it('answers liveness without touching the store', () => {
    const { sut } = setup(() => Promise.reject(new Error('must not be called')));
    expect(sut.liveness()).toEqual({ status: 'ok' });
  });

  it('is ready when PostgreSQL answers, with the latency', async () => {
    const { sut, reply, status } = setup(() => Promise.resolve());
    const result = await sut.readiness(reply);
    expect(result.status).toBe('ok');
    expect(result.checks.postgres).toEqual({ status: 'up', latency_ms: expect.any(Number) });
    expect(status).not.toHaveBeenCalled();
  });

  it('answers 503 with the reason when PostgreSQL does not answer', async () => {
    const { sut, reply, status } = setup(() =>
      Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')),
    );
    const result = await sut.readiness(reply);
    expect(status).toHaveBeenCalledWith(503);
    expect(result).toMatchObject({
      status: 'unavailable',
      checks: { postgres: { status: 'down', error: 'connect ECONNREFUSED 127.0.0.1:5432' } },
    });
  });
});
