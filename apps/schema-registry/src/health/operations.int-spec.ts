import {
  call,
  dropDbSchema,
  startRegistry,
  uniqueDbSchema,
  type RunningRegistry,
} from '../testing/registry-test-app';

describe('schema registry operations endpoints', () => {
  const dbSchema = uniqueDbSchema('ops');
  let registry: RunningRegistry;

  beforeAll(async () => {
    registry = await startRegistry(dbSchema);
  });

  afterAll(async () => {
    await registry.close();
    await dropDbSchema(dbSchema);
  });

  it('answers liveness', async () => {
    const res = await call(registry.url, 'GET', '/healthz');
    expect(res.status).toBe(200);
  });

  it('is ready when PostgreSQL answers, and says how fast it answered', async () => {
    const res = await call<{
      status: string;
      details: Record<string, { status: string; latency_ms: number }>;
    }>(registry.url, 'GET', '/readyz');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.details['postgres']).toMatchObject({
      status: 'up',
      latency_ms: expect.any(Number),
    });
  });

  it('serves Prometheus metrics in the exposition format, requests counted by route', async () => {
    await call(registry.url, 'GET', '/subjects');
    await call(registry.url, 'GET', '/subjects/no-such-subject/versions');
    const res = await fetch(`${registry.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^process_cpu_seconds_total\b/m);
    expect(text).toMatch(
      /^platform_http_requests_total\{method="GET",route="\/subjects",status="200"\} [1-9]/m,
    );
    expect(text).toMatch(
      /^platform_http_requests_total\{method="GET",route="\/subjects\/:subject\/versions",status="404"\} 1$/m,
    );
  });
});
