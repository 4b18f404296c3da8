import type { StreamedEvent } from '@platform/synthetic';

/** Where generated events go: Kafka, stdout (dry run), or a fake in tests. */
export interface EventSink {
  readonly name: string;
  /**
   * Unacknowledged events the sink needs to run at full speed, no more (more only costs
   * memory and garbage collection). The generation loop's default when it is not told.
   */
  readonly maxInFlight?: number;
  /** Resolves when the event is durably handed over (acknowledged by Kafka, written). */
  send(event: StreamedEvent): Promise<void>;
  /**
   * Many events with one promise: resolves when every one was handed over, rejects when
   * any failed. Sinks without it get `send` per event.
   */
  sendMany?(events: readonly StreamedEvent[]): Promise<void>;
  /** Waits for everything sent so far to settle. */
  flush(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** JSON lines, one `{eventType, event, delivery, delayMs}` per event. */
export class JsonLinesSink implements EventSink {
  readonly name = 'dry-run';

  constructor(private readonly write: (chunk: string) => void) {}

  send(event: StreamedEvent): Promise<void> {
    this.write(`${JSON.stringify(event)}\n`);
    return Promise.resolve();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
