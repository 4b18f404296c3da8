import './instrument';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  createLogger,
  installGracefulShutdown,
  installProcessFailureHandler,
  PlatformLogger,
  rootLogger,
} from '@platform/observability';
import { AppModule } from './app.module';
import { readSettings, type AggregatorSettings } from './pipeline/settings';

/** `run`: the continuous service, with /healthz, /readyz and /metrics. */
export async function serve(options: {
  readonly settings: AggregatorSettings;
  readonly console: boolean;
  readonly environment?: string;
}): Promise<void> {
  // PORT and HOST, validated with the other settings before anything connects.
  const { port, host } = options.settings;
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(options),
    new FastifyAdapter(),
    {
      // Start-up lines go out as they happen, as JSON, and a failure reaches the caller.
      logger: new PlatformLogger(createLogger({ service: 'aggregator' })),
      abortOnError: false,
    },
  );
  app.useLogger(app.get(PlatformLogger));
  installGracefulShutdown(app);
  await app.listen(port, host);
  rootLogger().info({ event: 'listening', url: await app.getUrl() }, 'Aggregator listening');
}

if (require.main === module) {
  installProcessFailureHandler({ app: 'aggregator' });
  serve({ settings: readSettings(process.env), console: false }).catch((error: unknown) => {
    rootLogger().error({ event: 'startup_failed', err: error }, 'Aggregator failed to start');
    process.exit(1);
  });
}
