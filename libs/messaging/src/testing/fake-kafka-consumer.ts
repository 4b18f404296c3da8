// A Kafka consumer (the client port's) for unit tests of code built on BatchConsumer: the
// test hands it batches and sees the offsets committed, with no broker.
import type { BatchPayload, KafkaConsumer, RecordHeaders } from '../lib/kafka-port';

/** A record of a batch handed to the consumer. */
export interface FakeKafkaMessage {
  readonly value: Buffer | null;
  readonly key?: Buffer | null;
  readonly headers?: RecordHeaders;
  /** Epoch ms; default 1 700 000 000 000. */
  readonly timestamp?: number;
}

export interface FakeKafkaConsumer {
  /** Creates the consumer (one per client); give it to the code as `kafka.consumer`. */
  consumer(): KafkaConsumer;
  /**
   * Hands `messages`, at offsets from `first` on, to the consumer as one batch of
   * `topic[partition]`; resolves once its `eachBatch` returned.
   */
  deliver(
    topic: string,
    partition: number,
    first: number,
    messages: readonly FakeKafkaMessage[],
  ): Promise<void>;
  /** Resolves once `topic[partition]` was committed at `offset`; rejects after `timeoutMs`. */
  committed(topic: string, partition: number, offset: string, timeoutMs?: number): Promise<void>;
  /** The offsets committed so far, in order. */
  readonly commits: readonly { topic: string; partition: number; offset: string }[];
}

/**
 * The members of a Kafka consumer that BatchConsumer uses. Every commit and seek is also
 * told to `log`, so that a test can put it in order with what the handler did.
 */
export function fakeKafkaConsumer(
  log: (line: string) => void = () => undefined,
): FakeKafkaConsumer {
  let eachBatch: ((payload: BatchPayload) => Promise<void>) | undefined;
  const commits: { topic: string; partition: number; offset: string }[] = [];
  const consumer: Omit<KafkaConsumer, 'commitOffsets'> = {
    events: { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash' },
    on: () => () => undefined,
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (config) => {
      eachBatch = config?.eachBatch;
    },
    seek: ({ topic, partition, offset }) => log(`seek ${topic}[${partition}]@${offset}`),
    stop: async () => undefined,
    disconnect: async () => undefined,
  };
  const deliver: FakeKafkaConsumer['deliver'] = async (topic, partition, first, messages) => {
    if (eachBatch === undefined) throw new Error('the consumer is not running');
    const last = String(first + messages.length - 1);
    const batch: BatchPayload['batch'] = {
      topic,
      partition,
      highWatermark: String(first + messages.length),
      messages: messages.map((m, i) => ({
        key: m.key ?? null,
        value: m.value,
        headers: m.headers ?? {},
        timestamp: String(m.timestamp ?? 1_700_000_000_000),
        offset: String(first + i),
      })),
      firstOffset: () => String(first),
      lastOffset: () => last,
      offsetLag: () => '0',
    };
    const payload: BatchPayload = {
      batch,
      resolveOffset: () => undefined,
      heartbeat: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
      commitOffsetsIfNecessary: async (offsets) => {
        for (const t of offsets?.topics ?? [])
          for (const p of t.partitions) {
            commits.push({ topic: t.topic, partition: p.partition, offset: p.offset });
            log(`commit ${t.topic}[${p.partition}]@${p.offset}`);
          }
      },
    };
    await eachBatch(payload);
  };
  const committed: FakeKafkaConsumer['committed'] = async (
    topic,
    partition,
    offset,
    timeoutMs = 5_000,
  ) => {
    const deadline = Date.now() + timeoutMs;
    const done = (): boolean =>
      commits.some((c) => c.topic === topic && c.partition === partition && c.offset === offset);
    while (!done()) {
      if (Date.now() > deadline)
        throw new Error(
          `${topic}[${partition}] not committed at ${offset}; commits: ${JSON.stringify(commits)}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  return {
    // BatchConsumer uses only the members above.
    consumer: () => consumer as KafkaConsumer,
    deliver,
    committed,
    commits,
  };
}
