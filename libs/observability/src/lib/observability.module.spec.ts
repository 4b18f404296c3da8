import { Controller, Get, Logger } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { indicator } from './health/health-indicator';
import { ReadinessRegistry } from './health/readiness.registry';
import { PlatformLogger } from './logging/platform-logger.service';
import { PlatformMetrics } from './metrics/platform-metrics';
import { ObservabilityModule } from './observability.module';
import { DrainService } from './shutdown/drain.service';
import { InFlightTracker } from './shutdown/in-flight-tracker';
import { captureLogs } from './testing/log-capture';

@Controller()
class EchoController {
  private readonly logger = new Logger(EchoController.name);

  @Get('echo')
  echo(): { ok: true } {
    this.logger.log('echoing');
    return { ok: true };
  }
}

describe(ObservabilityModule.name, () => {
  async function boot(ready: () => Promise<void> = async () => undefined) {
    const capture = captureLogs();
    const moduleRef = await Test.createTestingModule({
      imports: [
        ObservabilityModule.forRootAsync({
          useFactory: () => ({
            serviceName: 'module-spec',
            logging: { level: 'debug' as const },
            readiness: [indicator('fake', ready, { timeoutMs: 100 })],
            registry: new Registry(),
            logDestination: capture.stream,
            drainTimeoutMs: 1_000,
          }),
        }),
      ],
      controllers: [EchoController],
    }).compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
      bufferLogs: true,
    });
    app.useLogger(app.get(PlatformLogger));
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    const request = (url: string) =>
      app.getHttpAdapter().getInstance().inject({ method: 'GET', url });
    return { app, capture, request };
  }

  it('serves the platform metrics in the Prometheus text format', async () => {
    const { app, request } = await boot();
    app.get(PlatformMetrics).produceSettled('page_view', true, [0.01]);
    const response = await request('/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.body).toContain('produce_success_total{event_type="page_view"} 1');
    expect(response.body).toContain('# TYPE sink_write_total counter');
    await app.close();
  });

  it('answers /healthz 200 and /readyz 200 with each indicator and its latency', async () => {
    const { app, request } = await boot();
    expect((await request('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await request('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ok', details: { fake: { status: 'up' } } });
    expect(typeof ready.json().details.fake.latency_ms).toBe('number');
    await app.close();
  });

  it('answers /readyz 503 when an indicator is down or hangs past its timeout', async () => {
    const { app, request, capture } = await boot(() => new Promise(() => undefined));
    const ready = await request('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({
      status: 'error',
      error: { fake: { status: 'down', error: 'fake: no answer within 100 ms' } },
    });
    expect(capture.records().some((line) => line['event'] === 'readiness.down')).toBe(true);
    await app.close();
  });

  it('runs indicators registered at run time', async () => {
    const { app, request } = await boot();
    app
      .get(ReadinessRegistry)
      .register(indicator('late', () => Promise.reject(new Error('late down'))));
    const ready = await request('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().details).toMatchObject({
      fake: { status: 'up' },
      late: { status: 'down', error: 'late down' },
    });
    await app.close();
  });

  it('turns readiness 503 while draining but keeps liveness 200', async () => {
    const { app, request } = await boot();
    app.get(DrainService).startDraining('test');
    expect((await request('/readyz')).statusCode).toBe(503);
    expect((await request('/readyz')).json()).toMatchObject({ draining: true });
    expect((await request('/healthz')).statusCode).toBe(200);
    await app.close();
  });

  it('waits for in-flight work in beforeApplicationShutdown', async () => {
    const { app, capture } = await boot();
    let finished = false;
    void app.get(InFlightTracker).run(async () => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      finished = true;
    });
    await app.close();
    expect(finished).toBe(true);
    expect(capture.records().map((line) => line['event'])).toEqual(
      expect.arrayContaining(['shutdown.draining', 'shutdown.drained']),
    );
  });

  it('logs Nest lines and one line per request as JSON, without query strings', async () => {
    const { app, capture } = await boot();
    // Through a real socket: the request line comes from the Node server, which inject() skips.
    await app.listen(0, '127.0.0.1');
    const response = await fetch(`${await app.getUrl()}/echo?api_key=hunter2`);
    expect(response.status).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));
    const records = capture.records();
    expect(records).toContainEqual(
      expect.objectContaining({
        level: 'info',
        context: 'EchoController',
        msg: 'echoing',
        service: 'module-spec',
      }),
    );
    const requestLine = records.find((line) => line['event'] === 'http.request');
    expect(requestLine).toMatchObject({ method: 'GET', url: '/echo', status: 200 });
    expect(typeof requestLine?.['latency_ms']).toBe('number');
    expect(capture.lines.join('\n')).not.toContain('hunter2');
    await app.close();
  });
});
