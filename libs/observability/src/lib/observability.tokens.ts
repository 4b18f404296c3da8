import { Inject } from '@nestjs/common';

/** The process's pino `Logger` (the one `PlatformLogger` writes to). */
export const OBSERVABILITY_LOGGER = Symbol('OBSERVABILITY_LOGGER');

/** `constructor(@InjectPinoLogger() private readonly log: PinoLogger)` */
export const InjectPinoLogger = (): PropertyDecorator & ParameterDecorator =>
  Inject(OBSERVABILITY_LOGGER);
