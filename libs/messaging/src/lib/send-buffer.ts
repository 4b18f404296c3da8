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
  /**
   * At most `max` bytes (each message's by `sizeOf`) per topic in one dispatch, unless one
   * message alone is bigger. The broker refuses a partition's record batch over its
   * `message.max.bytes`, and a topic's share of a dispatch bounds every partition's. Default:
   * no bound.
   */
  readonly maxBatchBytes?: { readonly max: number; readonly sizeOf: (message: M) => number };
  /**
   * Dispatches in flight at once. Default 1: required where a retried dispatch could overtake
   * a later one (kafkajs). More only when `dispatch` hands its messages over in call order
   * before its first await and the client keeps that order through its retries (librdkafka's
   * idempotent producer).
   */
  readonly maxConcurrentDispatches?: number;
  readonly onSettled?: SettledFn<M>;
}

/**
 * Told when `count` of its messages (of one dispatch, one topic) settled: the tags of those
 * messages are `tags[end - count]` to `tags[end - 1]`.
 */
interface Waiter {
  settle(
    error: MessagingError | undefined,
    count: number,
    tags: readonly number[],
    end: number,
  ): void;
}

/**
 * Told the outcome of each message added with {@link SendBuffer.addTagged}, by its tag. It
 * must not throw: an exception is rethrown outside the buffer (an uncaught exception), after
 * every other message of the dispatch was settled.
 */
export interface TagReceiver {
  settled(tag: number, error: MessagingError | undefined): void;
}

/** One call of `addTagged`: hands each message's outcome to the receiver, by tag. */
class TaggedWaiter implements Waiter {
  constructor(private readonly receiver: TagReceiver) {}

  settle(
    error: MessagingError | undefined,
    count: number,
    tags: readonly number[],
    end: number,
  ): void {
    for (let i = end - count; i < end; i++) {
      try {
        this.receiver.settled(tags[i] as number, error);
      } catch (thrown) {
        // The buffer's own accounting must go on; the receiver's bug surfaces on its own.
        setImmediate(() => {
          throw thrown;
        });
      }
    }
  }
}

/** The waiter of one message's promise: a method on a class, not a closure per message. */
class MessageWaiter implements Waiter {
  constructor(
    private readonly resolve: () => void,
    private readonly reject: (error: MessagingError) => void,
  ) {}

  settle(error: MessagingError | undefined): void {
    if (error === undefined) this.resolve();
    else this.reject(error);
  }
}

/**
 * Up to `maxBatchSize` messages (and `maxBatchBytes`) of one topic, their waiters and tags
 * side by side: no object per queued message. A dispatch takes a topic's first chunk as it is
 * (no copy), and no array grows past one dispatch's worth: a queue of 20,000 in one array cost
 * a push several times what it costs in a small one (copies on growth, arrays too large for
 * the young generation).
 */
interface Chunk<M> {
  readonly messages: M[];
  /** Their sizes summed, by `maxBatchBytes.sizeOf` (0 without it). */
  bytes: number;
  readonly waiters: Waiter[];
  /** The tag of each message added with `addTagged`, 0 for the others. */
  readonly tags: number[];
}

interface TopicQueue<M> {
  /** Oldest first; every chunk but the last holds `maxBatchSize` messages. */
  chunks: Chunk<M>[];
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
 * By default only one dispatch is in flight at a time. kafkajs serializes an idempotent
 * producer's requests per broker anyway, and a second dispatch could overtake a first one
 * that kafkajs is retrying, which would reorder a key's messages. While a dispatch is in
 * flight the next one fills up, so under load every dispatch is full. A client that orders
 * and retries by itself (librdkafka) takes `maxConcurrentDispatches` > 1.
 */
export class SendBuffer<M> {
  private readonly queues = new Map<string, TopicQueue<M>>();
  private readonly options: SendBufferOptions<M>;
  private queued = 0;
  private inFlightCount = 0;
  private dispatches = 0;
  private readonly maxDispatches: number;
  private timer: NodeJS.Timeout | undefined;
  /** When the oldest queued message arrived (ms, performance clock); undefined when nothing is queued. */
  private oldestAt: number | undefined;
  private flushing = 0;
  private waiters: FlushWaiter[] = [];
  /** Set by {@link expedite} until the queue is empty; `endOfTurn` is its pending turn end. */
  private expedited = false;
  private endOfTurn: NodeJS.Immediate | undefined;

  constructor(options: SendBufferOptions<M>) {
    const maxDispatches = options.maxConcurrentDispatches ?? 1;
    if (!(options.maxBatchSize >= 1) || !(options.lingerMs >= 0) || !(maxDispatches >= 1)) {
      throw new MessagingError(
        'CONFIG_INVALID',
        `maxBatchSize and maxConcurrentDispatches must be >= 1 and lingerMs >= 0 (got ${options.maxBatchSize}, ${maxDispatches}, ${options.lingerMs})`,
        { retriable: false },
      );
    }
    this.options = options;
    this.maxDispatches = maxDispatches;
  }

  /** Messages queued or in flight. */
  get pending(): number {
    return this.queued + this.inFlightCount;
  }

  /** Queues one message; the promise settles when its dispatch does. */
  add(topic: string, message: M): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.enqueueAll([message], [topic], undefined, new MessageWaiter(resolve, reject));
    });
  }

  /**
   * Queues many messages with one promise (none per message): it resolves once every one
   * was acknowledged, or rejects with the first error once every one has settled.
   */
  addAll(messages: readonly { readonly topic: string; readonly message: M }[]): Promise<void> {
    return this.addEach(
      messages.map((m) => m.message),
      messages.map((m) => m.topic),
    );
  }

  /**
   * `addAll` without an object per message: `messages[i]` goes to `topics[i]` (the two have
   * the same length).
   */
  addEach(messages: readonly M[], topics: readonly string[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let left = messages.length;
      let failure: MessagingError | undefined;
      const waiter: Waiter = {
        settle: (error, count) => {
          failure ??= error;
          left -= count;
          if (left === 0) {
            if (failure === undefined) resolve();
            else reject(failure);
          }
        },
      };
      this.enqueueAll(messages, topics, undefined, waiter);
    });
  }

  /**
   * Queues many messages with no promise at all: `receiver.settled(tags[i], error)` is told
   * the outcome of `messages[i]` (sent to `topics[i]`) once its dispatch settled. The three
   * arrays have the same length. `linger: false` when the caller gathered these messages with
   * others already (see {@link expedite}).
   */
  addTagged(
    messages: readonly M[],
    topics: readonly string[],
    tags: readonly number[],
    receiver: TagReceiver,
    linger = true,
  ): void {
    if (messages.length === 0) return;
    if (!linger) this.expedite();
    this.enqueueAll(messages, topics, tags, new TaggedWaiter(receiver));
  }

  /**
   * What is queued goes without lingering: at the end of this turn of the event loop (so that
   * whatever else this turn adds goes with it), or as soon as the dispatch in flight settles.
   * For messages the caller has gathered already, such as the requests that one idempotency
   * claim statement answered at once: waiting the linger time for more only adds latency.
   */
  private expedite(): void {
    this.expedited = true;
    this.endOfTurn ??= setImmediate(() => {
      this.endOfTurn = undefined;
      this.schedule(false);
    });
  }

  private enqueueAll(
    messages: readonly M[],
    topics: readonly string[],
    tags: readonly number[] | undefined,
    waiter: Waiter,
  ): void {
    const max = this.options.maxBatchSize;
    const bound = this.options.maxBatchBytes;
    const maxBytes = bound?.max ?? Infinity;
    let queue: TopicQueue<M> | undefined;
    let chunk: Chunk<M> | undefined;
    let queueTopic: string | undefined;
    for (let i = 0; i < messages.length; i++) {
      const topic = topics[i] as string;
      if (topic !== queueTopic) {
        queue = this.queueOf(topic);
        queueTopic = topic;
        chunk = queue.chunks[queue.chunks.length - 1];
      }
      const message = messages[i] as M;
      const size = bound === undefined ? 0 : bound.sizeOf(message);
      if (
        chunk === undefined ||
        chunk.messages.length >= max ||
        (chunk.bytes + size > maxBytes && chunk.messages.length > 0)
      ) {
        chunk = { messages: [], bytes: 0, waiters: [], tags: [] };
        (queue as TopicQueue<M>).chunks.push(chunk);
      }
      chunk.messages.push(message);
      chunk.bytes += size;
      chunk.waiters.push(waiter);
      chunk.tags.push(tags === undefined ? 0 : (tags[i] as number));
      (queue as TopicQueue<M>).enqueued += 1;
    }
    this.queued += messages.length;
    if (this.oldestAt === undefined) this.oldestAt = performance.now();
    this.schedule(false);
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
      queue = { chunks: [], enqueued: 0, settled: 0 };
      this.queues.set(topic, queue);
    }
    return queue;
  }

  private schedule(now: boolean): void {
    if (this.dispatches >= this.maxDispatches || this.queued === 0) return;
    const waited = this.oldestAt === undefined ? 0 : performance.now() - this.oldestAt;
    const hurried = this.expedited && this.endOfTurn === undefined;
    if (now || hurried || this.flushing > 0 || waited >= this.options.lingerMs || this.anyFull()) {
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
      if (q.chunks.length > 1 || (q.chunks[0]?.messages.length ?? 0) >= this.options.maxBatchSize)
        return true;
    }
    return false;
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async dispatchNext(): Promise<void> {
    this.dispatches += 1;
    const taken = new Map<string, Chunk<M>>();
    const batches = new Map<string, M[]>();
    let count = 0;
    for (const [topic, q] of this.queues) {
      const chunk = q.chunks.shift();
      if (chunk === undefined) continue;
      taken.set(topic, chunk);
      batches.set(topic, chunk.messages);
      count += chunk.messages.length;
    }
    this.queued -= count;
    this.inFlightCount += count;
    // Leftovers keep the oldest arrival time: they have lingered already and go next.
    if (this.queued === 0) {
      this.oldestAt = undefined;
      this.expedited = false;
    }

    let error: MessagingError | undefined;
    try {
      const sent = this.options.dispatch(batches);
      // Leftovers may go at once when more dispatches may be in flight (after this one has
      // handed its messages over: `dispatch` runs synchronously up to its first await).
      if (this.queued > 0) this.schedule(false);
      await sent;
    } catch (e) {
      error = toMessagingError(e, 'produce');
    }

    for (const [topic, { waiters, tags }] of taken) {
      // Runs of one waiter (a sendMany) settle with one call.
      let run = 0;
      for (let i = 0; i < waiters.length; i++) {
        run += 1;
        const waiter = waiters[i] as Waiter;
        if (waiters[i + 1] !== waiter) {
          waiter.settle(error, run, tags, i + 1);
          run = 0;
        }
      }
      this.queueOf(topic).settled += waiters.length;
    }
    this.inFlightCount -= count;
    this.dispatches -= 1;
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
