import type { DomainModel } from '@platform/contracts';
import { SummaryBuilder, type StreamedEvent, type Summary } from '@platform/synthetic';
import type { EventSink } from './event-sink';
import { TokenBucket } from './token-bucket';

export interface Clock {
  /** Milliseconds, monotonic enough for rates (performance.now in production). */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) =>
    new Promise((resolve) => (ms <= 0 ? setImmediate(resolve) : setTimeout(resolve, ms))),
};

export interface Progress {
  readonly generated: number;
  readonly sent: number;
  readonly errors: number;
  readonly elapsedMs: number;
}

export type StopReason = 'count' | 'duration' | 'signal';

export interface GenerationResult extends Progress {
  /** Totals over the events the sink acknowledged. */
  readonly summary: Summary;
  readonly stoppedBy: StopReason;
  /** The first send or flush error, if any. */
  readonly firstError: string | undefined;
}

export interface GenerationOptions {
  readonly source: Iterator<StreamedEvent>;
  readonly sink: EventSink;
  readonly model: DomainModel;
  /** Events per second; undefined runs as fast as the sink allows. */
  readonly ratePerSec?: number;
  /** Stop after this long (ms); otherwise when the source ends. */
  readonly durationMs?: number;
  readonly clock?: Clock;
  /** Sends awaiting acknowledgement before generation pauses. Default 20 000. */
  readonly maxInFlight?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: Progress) => void;
  /** Default 200 ms. */
  readonly progressEveryMs?: number;
  /** How long the final flush may take. Default 30 s. */
  readonly flushTimeoutMs?: number;
}

/**
 * Pulls events from the source, paces them with a token bucket, hands them to the sink and
 * counts what the sink acknowledged. Generation pauses while too many sends are in flight,
 * so a slow broker slows the run down instead of filling memory.
 */
export async function runGeneration(options: GenerationOptions): Promise<GenerationResult> {
  const clock = options.clock ?? systemClock;
  const maxInFlight = options.maxInFlight ?? 20_000;
  const every = options.progressEveryMs ?? 200;
  const bucket =
    options.ratePerSec === undefined ? undefined : new TokenBucket(options.ratePerSec, clock.now);
  const chunk =
    options.ratePerSec === undefined
      ? 500
      : Math.min(500, Math.max(1, Math.round(options.ratePerSec / 100)));
  const summary = new SummaryBuilder(options.model);
  const start = clock.now();
  let lastProgress = start;
  let generated = 0;
  let sent = 0;
  let errors = 0;
  let inFlight = 0;
  let firstError: string | undefined;
  let wake: (() => void) | undefined;
  let stoppedBy: StopReason = 'count';

  const settle = (): void => {
    inFlight--;
    if (wake !== undefined) {
      const w = wake;
      wake = undefined;
      w();
    }
  };
  const waitBelow = async (limit: number): Promise<void> => {
    while (inFlight > limit) await new Promise<void>((resolve) => (wake = resolve));
  };
  const progress = (): Progress => ({ generated, sent, errors, elapsedMs: clock.now() - start });

  for (;;) {
    if (options.signal?.aborted === true) {
      stoppedBy = 'signal';
      break;
    }
    if (options.durationMs !== undefined && clock.now() - start >= options.durationMs) {
      stoppedBy = 'duration';
      break;
    }
    if (bucket !== undefined) {
      const waitMs = bucket.reserve(chunk);
      if (waitMs > 0) await clock.sleep(waitMs);
    }
    let ended = false;
    for (let i = 0; i < chunk; i++) {
      const next = options.source.next();
      if (next.done === true) {
        ended = true;
        break;
      }
      const item = next.value;
      generated++;
      inFlight++;
      options.sink.send(item).then(
        () => {
          sent++;
          summary.add(item.eventType, item.event, item.delivery);
          settle();
        },
        (error: unknown) => {
          errors++;
          firstError ??= error instanceof Error ? error.message : String(error);
          settle();
        },
      );
    }
    if (inFlight >= maxInFlight) await waitBelow(maxInFlight / 2);
    else if (bucket === undefined) await clock.sleep(0); // let the sink's I/O run
    const now = clock.now();
    if (options.onProgress !== undefined && now - lastProgress >= every) {
      lastProgress = now;
      options.onProgress(progress());
    }
    if (ended) break;
  }

  try {
    await options.sink.flush(options.flushTimeoutMs ?? 30_000);
  } catch (error) {
    firstError ??= error instanceof Error ? error.message : String(error);
  }
  // Flushed sends have settled; their callbacks run on the next turns.
  await waitBelow(0);
  options.onProgress?.(progress());
  return { ...progress(), summary: summary.snapshot(), stoppedBy, firstError };
}
