import { createServer } from 'node:net';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { load, type PlatformConfig } from '@platform/config';
import { Pool } from 'pg';
import { Registry } from 'prom-client';
import {
  clickhouseIndicator,
  postgresIndicator,
  type HealthIndicatorPort,
} from './health/health-indicator';
import { PlatformLogger } from './logging/platform-logger.service';
import { PlatformMetrics } from './metrics/platform-metrics';
import { ObservabilityModule } from './observability.module';
import { captureLogs } from './testing/log-capture';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe(`${ObservabilityModule.name} against the real stack`, () => {
  let config: PlatformConfig;
  const pools: Pool[] = [];
  const clickhouses: ClickHouseClient[] = [];

  beforeAll(async () => {
    config = await load({ environment: 'test' });
  });

  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    await Promise.all(clickhouses.map((client) => client.close()));
  });

  function pool(port: number): Pool {
    const created = new Pool({
      host: config.postgres.host,
      port,
      user: config.postgres.username,
      password: config.postgres.password,
      database: config.postgres.database,
      max: 1,
      connectionTimeoutMillis: 5_000,
    });
    created.on('error', () => undefined);
    pools.push(created);
    return created;
  }

  function clickhouse(url: string): ClickHouseClient {
    const client = createClient({
      url,
      username: config.clickhouse.username,
      password: config.clickhouse.password,
      log: { level: ClickHouseLogLevel.OFF },
    });
    clickhouses.push(client);
    return client;
  }

  async function start(
    readiness: HealthIndicatorPort[],
  ): Promise<{ app: NestFastifyApplication; url: string }> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ObservabilityModule.forRoot({
          serviceName: 'observability-int',
          readiness,
          readinessTimeoutMs: 1_500,
          registry: new Registry(),
          logDestination: captureLogs().stream,
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
      bufferLogs: true,
    });
    app.useLogger(app.get(PlatformLogger));
    await app.listen(0, '127.0.0.1');
    return { app, url: await app.getUrl() };
  }

  // The Kafka indicator lives in @platform/messaging and is tested there.
  it('serves /metrics, /healthz and a ready /readyz with real PostgreSQL and ClickHouse', async () => {
    const { app, url } = await start([
      postgresIndicator(pool(config.postgres.port)),
      clickhouseIndicator(clickhouse(config.clickhouse.url)),
    ]);
    try {
      app
        .get(PlatformMetrics)
        .sinkWrite({ sink: 'postgres', table: 't', rows: 2, latencySeconds: 0.01 });
      const metrics = await fetch(`${url}/metrics`);
      expect(metrics.status).toBe(200);
      const text = await metrics.text();
      expect(text).toContain('# TYPE produce_success_total counter');
      expect(text).toContain('# TYPE produce_latency_seconds histogram');
      expect(text).toContain('sink_write_rows_total{sink="postgres",table="t"} 2');

      expect((await fetch(`${url}/healthz`)).status).toBe(200);

      const ready = await fetch(`${url}/readyz`);
      const body = (await ready.json()) as {
        status: string;
        details: Record<string, Record<string, unknown>>;
      };
      expect(ready.status).toBe(200);
      expect(body.status).toBe('ok');
      for (const name of ['postgres', 'clickhouse']) {
        expect(body.details[name]).toMatchObject({ status: 'up' });
        expect(body.details[name]['latency_ms']).toEqual(expect.any(Number));
        expect(body.details[name]['latency_ms']).toBeGreaterThan(0);
      }
    } finally {
      await app.close();
    }
  });

  it('answers /readyz 503 within the timeout when dependencies point at a closed port', async () => {
    const port = await closedPort();
    const { app, url } = await start([
      postgresIndicator(pool(port)),
      clickhouseIndicator(clickhouse(`http://127.0.0.1:${port}`)),
      postgresIndicator(pool(config.postgres.port), { name: 'postgres-up' }),
    ]);
    try {
      const started = Date.now();
      const ready = await fetch(`${url}/readyz`);
      const elapsed = Date.now() - started;
      const body = (await ready.json()) as {
        status: string;
        details: Record<string, Record<string, unknown>>;
      };

      expect(ready.status).toBe(503);
      expect(elapsed).toBeLessThan(3_000);
      expect(body.status).toBe('error');
      for (const name of ['postgres', 'clickhouse']) {
        expect(body.details[name]).toMatchObject({ status: 'down', error: expect.any(String) });
        expect(body.details[name]['latency_ms']).toEqual(expect.any(Number));
      }
      expect(body.details['postgres-up']).toMatchObject({ status: 'up' });
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
