import { MessagingError, toMessagingError } from './messaging.error';

/** Messages of one dispatch, by topic, in the order they were added. */
export type TopicBatches<M> = ReadonlyMap<string, readonly M[]>;

/** Sends one dispatch; resolves when Kafka acknowledged every message in it. */
export type DispatchFn<M> = (batches: TopicBatches<M>) => Promise<void>;

/** Called once per dispatch, after it settled: `error` is undefined when it was acknowledged. */
export type SettledFn<M> = (batches: TopicBatches<M>, error: MessagingError | undefined) => void;

export interface SendBufferOptions<M> {
  readonly dispatch: DispatchFn<M>;
  /** How long the oldest queued message may wait for others to join its dispatch. */
  readonly lingerMs: number;
  /** At most this many messages per topic in one dispatch; a full topic dispatches at once. */
  readonly maxBatchSize: number;
  readonly onSettled?: SettledFn<M>;
}

/** Told once per message when its dispatch settled. */
interface Waiter {
  settle(error: MessagingError | undefined): void;
}

interface Entry<M> {
  readonly message: M;
  readonly waiter: Waiter;
}

interface TopicQueue<M> {
  entries: Entry<M>[];
  /** Index of the first entry not yet taken (a cursor, so taking is O(batch), not O(queue)). */
  head: number;
  enqueued: number;
  settled: number;
}

interface FlushWaiter {
  readonly targets: ReadonlyMap<string, number>;
  readonly done: () => void;
}

/**
 * The producer's accumulator: messages are queued per topic and sent in dispatches that
 * take up to `maxBatchSize` messages of every topic at once. A dispatch starts when a
 * topic has `maxBatchSize` queued, when the oldest queued message has waited `lingerMs`,
 * or at once during `flush()`.
 *
 * Only one dispatch is in flight at a time. kafkajs serializes an idempotent producer's
 * requests per broker anyway, and a second dispatch could overtake a first one that
 * kafkajs is retrying, which would reorder a key's messages. While a dispatch is in
 * flight the next one fills up, so under load every dispatch is full.
 */
export class SendBuffer<M> {
  private readonly queues = new Map<string, TopicQueue<M>>();
  private readonly options: SendBufferOptions<M>;
  private queued = 0;
  private inFlightCount = 0;
  private inFlight = false;
  private timer: NodeJS.Timeout | undefined;
  /** When the oldest queued message arrived (ms, performance clock); undefined when nothing is queued. */
  private oldestAt: number | undefined;
  private flushing = 0;
  private waiters: FlushWaiter[] = [];

  constructor(options: SendBufferOptions<M>) {
    if (!(options.maxBatchSize >= 1) || !(options.lingerMs >= 0)) {
      throw new MessagingError(
        'CONFIG_INVALID',
        `maxBatchSize must be >= 1 and lingerMs >= 0 (got ${options.maxBatchSize}, ${options.lingerMs})`,
        { retriable: false },
      );
    }
    this.options = options;
  }

  /** Messages queued or in flight. */
  get pending(): number {
    return this.queued + this.inFlightCount;
  }

  /** Queues one message; the promise settles when its dispatch does. */
  add(topic: string, message: M): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.enqueue(topic, message, {
        settle: (error) => (error === undefined ? resolve() : reject(error)),
      });
      this.schedule(false);
    });
  }

  /**
   * Queues many messages with one promise (none per message): it resolves once every one
   * was acknowledged, or rejects with the first error once every one has settled.
   */
  addAll(messages: readonly { readonly topic: string; readonly message: M }[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let left = messages.length;
      let failure: MessagingError | undefined;
      const waiter: Waiter = {
        settle: (error) => {
          failure ??= error;
          if (--left === 0) {
            if (failure === undefined) resolve();
            else reject(failure);
          }
        },
      };
      for (const { topic, message } of messages) this.enqueue(topic, message, waiter);
      this.schedule(false);
    });
  }

  private enqueue(topic: string, message: M, waiter: Waiter): void {
    const queue = this.queueOf(topic);
    queue.entries.push({ message, waiter });
    queue.enqueued += 1;
    this.queued += 1;
    if (this.oldestAt === undefined) this.oldestAt = performance.now();
  }

  /**
   * Dispatches everything queued now without lingering, and resolves once every message
   * queued or in flight at the time of the call has settled (sent or failed). Rejects with
   * `FLUSH_TIMEOUT` after `timeoutMs`, saying how many are still pending.
   */
  flush(timeoutMs: number): Promise<void> {
    const targets = new Map<string, number>();
    for (const [topic, q] of this.queues)
      if (q.settled < q.enqueued) targets.set(topic, q.enqueued);
    if (targets.size === 0) return Promise.resolve();

    return new Promise<void>((resolve, reject) => {
      this.flushing += 1;
      const waiter: FlushWaiter = {
        targets,
        done: () => {
          clearTimeout(timer);
          this.flushing -= 1;
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        this.flushing -= 1;
        const left = this.remaining(targets);
        reject(
          new MessagingError(
            'FLUSH_TIMEOUT',
            `flush timed out after ${timeoutMs} ms with ${left} send(s) still pending`,
            { retriable: true },
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
      this.schedule(true);
    });
  }

  private remaining(targets: ReadonlyMap<string, number>): number {
    let left = 0;
    for (const [topic, target] of targets) {
      const settled = this.queues.get(topic)?.settled ?? target;
      left += Math.max(0, target - settled);
    }
    return left;
  }

  private queueOf(topic: string): TopicQueue<M> {
    let queue = this.queues.get(topic);
    if (queue === undefined) {
      queue = { entries: [], head: 0, enqueued: 0, settled: 0 };
      this.queues.set(topic, queue);
    }
    return queue;
  }

  private schedule(now: boolean): void {
    if (this.inFlight || this.queued === 0) return;
    const waited = this.oldestAt === undefined ? 0 : performance.now() - this.oldestAt;
    if (now || this.flushing > 0 || waited >= this.options.lingerMs || this.anyFull()) {
      this.clearTimer();
      void this.dispatchNext();
      return;
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.schedule(true);
        },
        Math.max(0, this.options.lingerMs - waited),
      );
    }
  }

  private anyFull(): boolean {
    for (const q of this.queues.values()) {
      if (q.entries.length - q.head >= this.options.maxBatchSize) return true;
    }
    return false;
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async dispatchNext(): Promise<void> {
    this.inFlight = true;
    const taken = new Map<string, Entry<M>[]>();
    const batches = new Map<string, M[]>();
    let count = 0;
    for (const [topic, q] of this.queues) {
      const available = q.entries.length - q.head;
      if (available === 0) continue;
      const n = Math.min(available, this.options.maxBatchSize);
      const entries = q.entries.slice(q.head, q.head + n);
      q.head += n;
      if (q.head === q.entries.length) {
        q.entries = [];
        q.head = 0;
      } else if (q.head > 50_000) {
        q.entries = q.entries.slice(q.head);
        q.head = 0;
      }
      taken.set(topic, entries);
      batches.set(
        topic,
        entries.map((e) => e.message),
      );
      count += n;
    }
    this.queued -= count;
    this.inFlightCount += count;
    // Leftovers keep the oldest arrival time: they have lingered already and go next.
    if (this.queued === 0) this.oldestAt = undefined;

    let error: MessagingError | undefined;
    try {
      await this.options.dispatch(batches);
    } catch (e) {
      error = toMessagingError(e, 'produce');
    }

    for (const [topic, entries] of taken) {
      for (const entry of entries) entry.waiter.settle(error);
      this.queueOf(topic).settled += entries.length;
    }
    this.inFlightCount -= count;
    this.inFlight = false;
    try {
      this.options.onSettled?.(batches, error);
    } finally {
      this.wakeWaiters();
      this.schedule(false);
    }
  }

  private wakeWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: FlushWaiter[] = [];
    for (const waiter of this.waiters) {
      if (this.remaining(waiter.targets) === 0) waiter.done();
      else still.push(waiter);
    }
    this.waiters = still;
  }
}
