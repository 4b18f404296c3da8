import type { Server } from 'node:http';
import {
  Inject,
  Injectable,
  Optional,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Logger } from 'pino';
import {
  OBSERVABILITY_MODULE_OPTIONS,
  type ObservabilityModuleOptions,
} from '../observability.module-definition';
import { OBSERVABILITY_LOGGER } from '../observability.tokens';
import { attachRequestLogging } from './request-logging';

/** Probe and scrape paths log at debug: they would drown the real traffic. */
export const QUIET_PATHS: readonly string[] = ['/healthz', '/readyz', '/metrics'];

/** Attaches {@link attachRequestLogging} to the app's HTTP server, if it has one. */
@Injectable()
export class RequestLoggingService implements OnModuleInit, OnApplicationShutdown {
  private detach: (() => void) | undefined;

  constructor(
    @Inject(OBSERVABILITY_MODULE_OPTIONS) private readonly options: ObservabilityModuleOptions,
    @Inject(OBSERVABILITY_LOGGER) private readonly logger: Logger,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    if (this.options.requestLogging === false) return;
    const server: unknown = this.adapterHost?.httpAdapter?.getHttpServer();
    // Application contexts (workers without HTTP) have no server: nothing to log.
    if (
      typeof server !== 'object' ||
      server === null ||
      typeof (server as Server).on !== 'function'
    )
      return;
    this.detach = attachRequestLogging(server as Server, this.logger, {
      quietPaths: QUIET_PATHS,
      ...(this.options.requestLogSampleRate === undefined
        ? {}
        : { successSampleRate: this.options.requestLogSampleRate }),
    });
  }

  onApplicationShutdown(): void {
    this.detach?.();
    this.detach = undefined;
  }
}
