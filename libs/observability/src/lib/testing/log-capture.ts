// Shared by this lib's specs only; not part of the public door.
import type { DestinationStream } from 'pino';
import { createLogger, type LogLevel, type PinoLogger } from '../logging/logger';

export interface LogCapture {
  readonly stream: DestinationStream;
  readonly lines: string[];
  /** Every line parsed as JSON. */
  records(): Array<Record<string, unknown>>;
}

export function captureLogs(): LogCapture {
  const lines: string[] = [];
  return {
    stream: {
      write: (chunk: string) => {
        for (const line of chunk.split('\n')) if (line !== '') lines.push(line);
      },
    },
    lines,
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

export function capturingLogger(level: LogLevel = 'trace'): {
  logger: PinoLogger;
  capture: LogCapture;
} {
  const capture = captureLogs();
  return { logger: createLogger({ service: 'spec', level, destination: capture.stream }), capture };
}
