// A tiny service run as a child process by shutdown.int-spec.ts:
//   node -r ts-node/register/transpile-only -r tsconfig-paths/register drain-app.fixture.ts
// POST /work starts a slow task (WORK_MS, default 1500) through the InFlightTracker, the
// way a consumer wraps a batch, and logs `fixture.work.done` when it ends. SHUTDOWN=hooks
// uses app.enableShutdownHooks() instead of installGracefulShutdown().
import './drain-app.instrument';
import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  InFlightTracker,
  InjectPinoLogger,
  installGracefulShutdown,
  ObservabilityModule,
  PlatformLogger,
  rootLogger,
  type PinoLogger,
} from '../../index';

const WORK_MS = Number(process.env['WORK_MS'] ?? 1_500);

@Controller()
class WorkController {
  constructor(
    private readonly tracker: InFlightTracker,
    @InjectPinoLogger() private readonly logger: PinoLogger,
  ) {}

  @Post('work')
  @HttpCode(202)
  start(): { accepted: true } {
    void this.tracker.run(async () => {
      await new Promise((resolve) => setTimeout(resolve, WORK_MS));
      this.logger.info({ event: 'fixture.work.done', work_ms: WORK_MS }, 'Slow work finished');
    });
    return { accepted: true };
  }
}

@Module({
  imports: [ObservabilityModule.forRoot({ serviceName: 'drain-fixture', drainTimeoutMs: 10_000 })],
  controllers: [WorkController],
})
class FixtureModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(
    FixtureModule,
    new FastifyAdapter(),
    {
      bufferLogs: true,
    },
  );
  app.useLogger(app.get(PlatformLogger));
  if (process.env['SHUTDOWN'] === 'hooks') app.enableShutdownHooks();
  else installGracefulShutdown(app);
  await app.listen(0, '127.0.0.1');
  rootLogger().info({ event: 'fixture.listening', url: await app.getUrl() }, 'Fixture listening');
}

void main();
