import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { HTTP_METRIC_NAMES, httpRequestMetrics } from './http-request-metrics';
import { LATENCY_BUCKETS } from './platform-metrics';

/** The registry's exposition, lines sorted: series order is not part of the format. */
async function exposition(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').sort();
}

/** Pseudo-random but repeatable. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

describe('HttpRequestMetrics', () => {
  it("exposes exactly what prom-client's Counter, Histogram and Gauge expose for the same requests", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const metrics = httpRequestMetrics(ours);
    const requests = new Counter({
      name: HTTP_METRIC_NAMES.requests,
      help: 'HTTP requests, by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [theirs],
    });
    const latency = new Histogram({
      name: HTTP_METRIC_NAMES.latency,
      help: 'HTTP request latency in seconds, by method and route',
      labelNames: ['method', 'route'],
      buckets: [...LATENCY_BUCKETS],
      registers: [theirs],
    });
    const inFlight = new Gauge({
      name: HTTP_METRIC_NAMES.inFlight,
      help: 'HTTP requests received and not yet answered (what a drain waits for)',
      registers: [theirs],
    });
    const random = rng(7);
    const routes = ['/v1/events', '/v1/events/:type', '/v1/contracts', 'unmatched'];
    const statuses = [200, 202, 400, 401, 404, 413, 499, 503];
    // Bounds themselves, values between them, and beyond the last one.
    const latencies = [...LATENCY_BUCKETS, 0, 0.0001, 0.003, 0.7, 31, 120];
    for (let i = 0; i < 2_000; i++) {
      const method = random() < 0.8 ? 'POST' : 'GET';
      const route = routes[Math.floor(random() * routes.length)] as string;
      const status = statuses[Math.floor(random() * statuses.length)] as number;
      const seconds = latencies[Math.floor(random() * latencies.length)] as number;
      metrics.enter();
      inFlight.inc();
      if (random() < 0.9) {
        metrics.leave();
        inFlight.dec();
      }
      metrics.record(method, route, status, seconds);
      requests.inc({ method, route, status: String(status) });
      latency.observe({ method, route }, seconds);
    }
    expect(await exposition(ours)).toEqual(await exposition(theirs));
  });

  it('is one per registry, whoever asks for it', () => {
    const registry = new Registry();
    expect(httpRequestMetrics(registry)).toBe(httpRequestMetrics(registry));
    expect(httpRequestMetrics(new Registry())).not.toBe(httpRequestMetrics(registry));
  });

  it('refuses a registry where one of its names is another metric', () => {
    const registry = new Registry();
    new Gauge({ name: HTTP_METRIC_NAMES.inFlight, help: 'x', registers: [registry] });
    expect(() => httpRequestMetrics(registry)).toThrow(/already registered/);
  });

  it('starts with no series and nothing in flight', async () => {
    const registry = new Registry();
    httpRequestMetrics(registry);
    const text = await registry.metrics();
    expect(text).toContain(`${HTTP_METRIC_NAMES.inFlight} 0`);
    expect(text).not.toContain(`${HTTP_METRIC_NAMES.requests}{`);
  });
});
