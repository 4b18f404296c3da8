import type { DomainModel } from '@platform/contracts';
import { SummaryBuilder, type StreamedEvent, type Summary } from '@platform/synthetic';
import type { EventSink } from './event-sink';
import { TokenBucket } from './token-bucket';

/** An event to send; `delivery` defaults to in order. */
export type LoopEvent = Omit<StreamedEvent, 'delivery' | 'delayMs'> &
  Partial<Pick<StreamedEvent, 'delivery' | 'delayMs'>>;

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

/** A function, so the check is not narrowed away by an earlier one in the same loop turn. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** `count`: the source ended (a count was reached, a file was read to its end). */
export type StopReason = 'count' | 'duration' | 'signal';

export interface GenerationResult extends Progress {
  /** Totals over the events the sink acknowledged. */
  readonly summary: Summary;
  readonly stoppedBy: StopReason;
  /** The first send or flush error, if any. */
  readonly firstError: string | undefined;
}

export interface GenerationOptions {
  /** A synchronous iterator is pulled without a promise per event (the synthetic source). */
  readonly source: Iterator<LoopEvent> | AsyncIterator<LoopEvent>;
  readonly sink: EventSink;
  readonly model: DomainModel;
  /** Events per second; undefined runs as fast as the sink allows. */
  readonly ratePerSec?: number;
  /** Stop after this many events; otherwise when the source ends. */
  readonly count?: number;
  /** Stop after this long (ms); otherwise when the source ends. */
  readonly durationMs?: number;
  readonly clock?: Clock;
  /** Sends awaiting acknowledgement before generation pauses. Default the sink's, else 20 000. */
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
  const maxInFlight = options.maxInFlight ?? options.sink.maxInFlight ?? 20_000;
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

  const settle = (n: number): void => {
    inFlight -= n;
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
  const failed = (error: unknown, n: number): void => {
    errors += n;
    firstError ??= error instanceof Error ? error.message : String(error);
  };
  /** Hands a chunk to the sink: one promise for it where the sink can, else one per event. */
  const send = (items: readonly StreamedEvent[]): void => {
    if (items.length === 0) return;
    inFlight += items.length;
    const sink = options.sink;
    if (sink.sendMany !== undefined) {
      // The chunk's totals are counted now and added once it is acknowledged, so that its
      // events are not kept alive until then (they die young instead of being copied by every
      // scavenge while in flight).
      const n = items.length;
      const part = new SummaryBuilder(options.model);
      for (const item of items) part.add(item.eventType, item.event, item.delivery);
      sink.sendMany(items).then(
        () => {
          sent += n;
          summary.merge(part);
          settle(n);
        },
        (error: unknown) => {
          // The chunk counts as failed as a whole (the run reports errors and exits non-zero).
          failed(error, n);
          settle(n);
        },
      );
      return;
    }
    for (const item of items) {
      sink.send(item).then(
        () => {
          sent++;
          summary.add(item.eventType, item.event, item.delivery);
          settle(1);
        },
        (error: unknown) => {
          failed(error, 1);
          settle(1);
        },
      );
    }
  };

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
    let waitedLong = false;
    let items: StreamedEvent[] = [];
    for (let i = 0; i < chunk && !waitedLong; i++) {
      if (generated === options.count) {
        ended = true;
        break;
      }
      let next: IteratorResult<LoopEvent>;
      try {
        const pulled = options.source.next();
        if (pulled instanceof Promise) {
          // A source that waits sends what it gave so far first, not held back by the wait.
          send(items);
          items = [];
          next = await pulled;
          // A source that waits (a paced replay, a poll) still gets progress reported on time.
          waitedLong = bucket === undefined && clock.now() - lastProgress >= every;
        } else {
          next = pulled;
        }
      } catch (error) {
        // A failing source ends the run; what was sent is still flushed and counted.
        firstError ??= error instanceof Error ? error.message : String(error);
        ended = true;
        break;
      }
      if (next.done === true) {
        ended = true;
        break;
      }
      items.push(
        next.value.delivery === undefined
          ? { ...next.value, delivery: 'in_order', delayMs: 0 }
          : (next.value as StreamedEvent),
      );
      generated++;
    }
    send(items);
    if (inFlight >= maxInFlight) await waitBelow(maxInFlight / 2);
    else if (bucket === undefined) await clock.sleep(0); // let the sink's I/O run
    const now = clock.now();
    if (options.onProgress !== undefined && now - lastProgress >= every) {
      lastProgress = now;
      options.onProgress(progress());
    }
    if (ended) {
      // A source that waits (a replay, a poll) ends when told to stop: say why.
      if (isAborted(options.signal)) stoppedBy = 'signal';
      else if (options.durationMs !== undefined && clock.now() - start >= options.durationMs)
        stoppedBy = 'duration';
      break;
    }
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
