import { AvroSerde } from '@platform/schema-registry';
import {
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNonRetriableError,
  KafkaJSSASLAuthenticationError,
  type ConsumerRunConfig,
  type EachBatchPayload,
  type KafkaMessage,
} from 'kafkajs';
import {
  BatchConsumer,
  RecordFailuresError,
  type BatchConsumerOptions,
  type BatchHandler,
  type DecodedRecord,
  headerText,
} from './batch-consumer';
import type { DeadLetter } from './dead-letter';
import { InMemorySchemaRegistrar } from './in-memory-registrar';
import { MessagingError } from './messaging.error';

const SCHEMA = JSON.stringify({
  type: 'record',
  name: 'Ping',
  fields: [{ name: 'n', type: 'int' }],
});

async function setup(handleBatch: BatchHandler, extra: Partial<BatchConsumerOptions> = {}) {
  const registry = new InMemorySchemaRegistrar();
  const id = await registry.register('events.ping-value', SCHEMA);
  const serde = new AvroSerde(registry);
  const letters: DeadLetter[] = [];
  let run: ConsumerRunConfig | undefined;
  const consumer = {
    events: { CRASH: 'consumer.crash' },
    on: jest.fn(),
    connect: jest.fn(async () => undefined),
    subscribe: jest.fn(async () => undefined),
    run: jest.fn(async (config: ConsumerRunConfig) => {
      run = config;
    }),
    stop: jest.fn(async () => undefined),
    disconnect: jest.fn(async () => undefined),
  };
  const kafka = { consumer: jest.fn(() => consumer) };
  const sut = new BatchConsumer({
    kafka: kafka as never,
    groupId: 'g',
    topics: /^events\./,
    registry,
    deadLetters: { publish: async (l) => void letters.push(...l) },
    handleBatch,
    retry: { initialMs: 1, maxMs: 5 },
    ...extra,
  });
  await sut.start();

  const message = (offset: number, value: Buffer): KafkaMessage => ({
    key: Buffer.from(`k${offset}`),
    value,
    offset: String(offset),
    timestamp: '1700000000000',
    attributes: 0,
    headers: { traceparent: Buffer.from(`t${offset}`) },
  });
  const good = (offset: number): KafkaMessage =>
    message(offset, serde.encode(id, SCHEMA, { n: offset }));

  function payload(messages: KafkaMessage[], running = () => true) {
    const commits: unknown[] = [];
    const resolved: string[] = [];
    const p = {
      batch: {
        topic: 'events.ping',
        partition: 1,
        messages,
        firstOffset: () => messages[0]?.offset ?? null,
        lastOffset: () => messages[messages.length - 1]?.offset ?? '-1',
      },
      resolveOffset: (o: string) => void resolved.push(o),
      heartbeat: async () => undefined,
      commitOffsetsIfNecessary: async (o: unknown) => void commits.push(o),
      isRunning: running,
      isStale: () => false,
    };
    return { p: p as unknown as EachBatchPayload, commits, resolved };
  }

  const eachBatch = (p: EachBatchPayload) =>
    (run?.eachBatch as (p: EachBatchPayload) => Promise<void>)(p);
  return { sut, kafka, consumer, run: () => run, letters, good, message, payload, eachBatch };
}

const commitOf = (offset: string) => ({
  topics: [{ topic: 'events.ping', partitions: [{ partition: 1, offset }] }],
});

describe(BatchConsumer.name, () => {
  it('runs with auto-commit and auto-resolve off, reading committed records by default', async () => {
    const t = await setup(async () => undefined);
    expect(t.kafka.consumer).toHaveBeenCalledWith(
      expect.objectContaining({ groupId: 'g', readUncommitted: false }),
    );
    expect(t.consumer.subscribe).toHaveBeenCalledWith({
      topics: [/^events\./],
      fromBeginning: false,
    });
    expect(t.run()).toMatchObject({ autoCommit: false, eachBatchAutoResolve: false });
  });

  it('hands decoded records to the handler, then resolves and commits the next offset', async () => {
    const seen: DecodedRecord[] = [];
    const t = await setup(async (records) => void seen.push(...records));
    const { p, commits, resolved } = t.payload([t.good(5), t.good(6)]);
    await t.eachBatch(p);
    expect(seen.map((r) => [r.offset, r.key, r.value, r.headers['traceparent']])).toEqual([
      ['5', 'k5', { n: 5 }, 't5'],
      ['6', 'k6', { n: 6 }, 't6'],
    ]);
    expect(resolved).toEqual(['6']);
    expect(commits).toEqual([commitOf('7')]);
  });

  it('decodes only the decodedFields of a topic, keeping the bytes, with the serde it is given', async () => {
    const wide = JSON.stringify({
      type: 'record',
      name: 'Wide',
      fields: [
        { name: 'n', type: 'int' },
        { name: 'text', type: 'string' },
      ],
    });
    const registry = new InMemorySchemaRegistrar();
    const id = await registry.register('events.wide-value', wide);
    const serde = new AvroSerde(registry);
    const seen: DecodedRecord[] = [];
    const t = await setup(async (records) => void seen.push(...records), {
      registry,
      serde,
      decodedFields: (topic) => (topic === 'events.ping' ? ['n'] : undefined),
    });
    const bytes = serde.encode(id, wide, { n: 4, text: 'kept in the bytes' });
    await t.eachBatch(t.payload([t.message(4, bytes)]).p);
    expect(seen.map((r) => r.value)).toEqual([{ n: 4 }]);
    expect(seen[0]?.raw.value).toBe(bytes);
    // The handler reads the writer schema the consumer loaded, from the shared serde.
    expect(serde.writerSchemaOf(id)).toEqual(JSON.parse(wide));
  });

  it('sends an undecodable record to the dead letters with the reason and handles the rest', async () => {
    const seen: string[] = [];
    const t = await setup(async (records) => void seen.push(...records.map((r) => r.offset)));
    const { p, commits } = t.payload([t.good(1), t.message(2, Buffer.from('garbage')), t.good(3)]);
    await t.eachBatch(p);
    expect(seen).toEqual(['1', '3']);
    expect(t.letters).toHaveLength(1);
    expect(t.letters[0]).toMatchObject({
      value: Buffer.from('garbage'),
      source: { topic: 'events.ping', partition: 1, offset: '2' },
      error: { code: 'UNKNOWN_MAGIC_BYTE', retriable: false },
    });
    expect(commits).toEqual([commitOf('4')]);
  });

  it('retries the same batch after a retriable error and commits once', async () => {
    const attempts: string[][] = [];
    const t = await setup(async (records, ctx) => {
      attempts.push(records.map((r) => `${ctx.attempt}:${r.offset}`));
      if (ctx.attempt < 3)
        throw new MessagingError('KAFKA_CONNECTION', 'down', { retriable: true });
    });
    const { p, commits } = t.payload([t.good(1), t.good(2)]);
    await t.eachBatch(p);
    expect(attempts).toEqual([
      ['1:1', '1:2'],
      ['2:1', '2:2'],
      ['3:1', '3:2'],
    ]);
    expect(commits).toEqual([commitOf('3')]);
    expect(t.sut.getStats()).toMatchObject({ retries: 2, commits: 1 });
  });

  it('sends per-record failures to the dead letters and commits the batch', async () => {
    const t = await setup(async (records) => ({
      failures: [
        {
          record: records[1] as DecodedRecord,
          error: new MessagingError('BAD_ROW', 'no', { retriable: false }),
        },
      ],
    }));
    const { p, commits } = t.payload([t.good(1), t.good(2), t.good(3)]);
    await t.eachBatch(p);
    expect(t.letters.map((l) => [l.source.offset, l.error.code])).toEqual([['2', 'BAD_ROW']]);
    expect(commits).toEqual([commitOf('4')]);
  });

  it('accepts failures thrown as RecordFailuresError', async () => {
    const t = await setup(async (records) => {
      throw new RecordFailuresError([
        { record: records[0] as DecodedRecord, error: new Error('x') },
      ]);
    });
    const { p, commits } = t.payload([t.good(1), t.good(2)]);
    await t.eachBatch(p);
    expect(t.letters.map((l) => [l.source.offset, l.error.code])).toEqual([
      ['1', 'HANDLER_FAILED'],
    ]);
    expect(commits).toEqual([commitOf('3')]);
  });

  it('dead-letters the whole batch on a non-retriable error and moves on', async () => {
    const t = await setup(async () => {
      throw new TypeError('bug');
    });
    const { p, commits } = t.payload([t.good(1), t.good(2)]);
    await t.eachBatch(p);
    expect(t.letters.map((l) => [l.source.offset, l.error.message])).toEqual([
      ['1', 'bug'],
      ['2', 'bug'],
    ]);
    expect(commits).toEqual([commitOf('3')]);
  });

  it('abandons a batch waiting for a retry when the consumer stops, without committing', async () => {
    let running = true;
    const t = await setup(async () => {
      running = false;
      throw new MessagingError('KAFKA_CONNECTION', 'down', { retriable: true });
    });
    const { p, commits, resolved } = t.payload([t.good(1)], () => running);
    await t.eachBatch(p);
    expect(commits).toEqual([]);
    expect(resolved).toEqual([]);
  });

  it('passes record headers to the extraction hook before the handler runs', async () => {
    const order: string[] = [];
    const registry = new InMemorySchemaRegistrar();
    const id = await registry.register('s', SCHEMA);
    let run: ConsumerRunConfig | undefined;
    const consumer = {
      events: { CRASH: 'c' },
      on: jest.fn(),
      connect: jest.fn(),
      subscribe: jest.fn(),
      run: jest.fn(async (c: ConsumerRunConfig) => void (run = c)),
    };
    const sut = new BatchConsumer({
      kafka: { consumer: () => consumer } as never,
      groupId: 'g',
      topics: ['events.ping'],
      registry,
      deadLetters: { publish: async () => undefined },
      headersHook: (h) => void order.push(`hook:${h['traceparent']}`),
      handleBatch: async () => void order.push('handler'),
    });
    await sut.start();
    const value = new AvroSerde(registry).encode(id, SCHEMA, { n: 1 });
    const payload = {
      batch: {
        topic: 'events.ping',
        partition: 0,
        messages: [
          {
            key: null,
            value,
            offset: '0',
            timestamp: '0',
            attributes: 0,
            headers: { traceparent: 'abc' },
          },
        ],
        firstOffset: () => '0',
        lastOffset: () => '0',
      },
      resolveOffset: () => undefined,
      heartbeat: async () => undefined,
      commitOffsetsIfNecessary: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload;
    await (run?.eachBatch as (p: EachBatchPayload) => Promise<void>)(payload);
    expect(order).toEqual(['hook:abc', 'handler']);
  });

  describe('pipelined', () => {
    function deferred(): { promise: Promise<void>; release: () => void } {
      let release = (): void => undefined;
      const promise = new Promise<void>((r) => (release = r));
      return { promise, release };
    }

    it('returns before the handler finished and commits only once it has', async () => {
      const write = deferred();
      const t = await setup(() => write.promise, { pipelined: true });
      const { p, commits, resolved } = t.payload([t.good(5), t.good(6)]);
      await t.eachBatch(p);
      expect(resolved).toEqual(['6']);
      expect(commits).toEqual([]);
      write.release();
      await t.sut.stop();
      expect(commits).toEqual([commitOf('7')]);
    });

    it("hands a partition's next batch over only after the previous one was committed", async () => {
      const writes = [deferred(), deferred()];
      const seen: string[][] = [];
      const t = await setup(
        async (records) => {
          seen.push(records.map((r) => r.offset));
          await writes[seen.length - 1]?.promise;
        },
        { pipelined: true },
      );
      const first = t.payload([t.good(1), t.good(2)]);
      const second = t.payload([t.good(3)]);
      await t.eachBatch(first.p);
      const handingOver = t.eachBatch(second.p);
      await new Promise((r) => setImmediate(r));
      expect(seen).toEqual([['1', '2']]);

      writes[0]?.release();
      await handingOver;
      expect(first.commits).toEqual([commitOf('3')]);
      expect(seen).toEqual([['1', '2'], ['3']]);
      expect(second.commits).toEqual([]);

      writes[1]?.release();
      await t.sut.stop();
      expect(second.commits).toEqual([commitOf('4')]);
    });

    it('commits nothing after a batch that was abandoned uncommitted', async () => {
      let running = true;
      const t = await setup(
        async () => {
          throw new MessagingError('KAFKA_CONNECTION', 'down', { retriable: true });
        },
        { pipelined: true },
      );
      const first = t.payload([t.good(1)], () => running);
      await t.eachBatch(first.p);
      running = false;
      const second = t.payload([t.good(2)], () => running);
      await t.eachBatch(second.p);
      await t.sut.stop();
      expect(first.commits).toEqual([]);
      expect(second.commits).toEqual([]);
      expect(second.resolved).toEqual([]);
    });

    describe('unordered topics', () => {
      it("hands a partition's next batch over while the previous one is handled, and commits after it", async () => {
        const writes = [deferred(), deferred()];
        const seen: string[][] = [];
        const t = await setup(
          async (records) => {
            seen.push(records.map((r) => r.offset));
            await writes[seen.length - 1]?.promise;
          },
          { pipelined: true, unordered: () => true },
        );
        const first = t.payload([t.good(1), t.good(2)]);
        const second = t.payload([t.good(3)]);
        await t.eachBatch(first.p);
        await t.eachBatch(second.p);
        expect(seen).toEqual([['1', '2'], ['3']]);

        // The second is written first: its commit still waits for the first's.
        writes[1]?.release();
        await new Promise((r) => setImmediate(r));
        expect(second.commits).toEqual([]);

        writes[0]?.release();
        await t.sut.stop();
        expect(first.commits).toEqual([commitOf('3')]);
        expect(second.commits).toEqual([commitOf('4')]);
        // Each resolved once, when handed over: resolving the first again at its commit would
        // move the fetch position back to the second batch, which kafkajs would fetch again.
        expect([first.resolved, second.resolved]).toEqual([['2'], ['3']]);
      });

      it('keeps at most two batches of a partition in hand', async () => {
        const writes = [deferred(), deferred(), deferred()];
        const seen: string[][] = [];
        const t = await setup(
          async (records) => {
            seen.push(records.map((r) => r.offset));
            await writes[seen.length - 1]?.promise;
          },
          { pipelined: true, unordered: () => true },
        );
        await t.eachBatch(t.payload([t.good(1)]).p);
        await t.eachBatch(t.payload([t.good(2)]).p);
        const third = t.eachBatch(t.payload([t.good(3)]).p);
        await new Promise((r) => setImmediate(r));
        expect(seen).toEqual([['1'], ['2']]);

        writes[0]?.release();
        await third;
        expect(seen).toEqual([['1'], ['2'], ['3']]);
        writes[1]?.release();
        writes[2]?.release();
        await t.sut.stop();
      });

      it('commits nothing after a batch that was abandoned uncommitted', async () => {
        let firstRunning = true;
        let calls = 0;
        const t = await setup(
          async () => {
            calls += 1;
            if (calls === 1)
              throw new MessagingError('KAFKA_CONNECTION', 'down', { retriable: true });
          },
          { pipelined: true, unordered: () => true },
        );
        const first = t.payload([t.good(1)], () => firstRunning);
        await t.eachBatch(first.p);
        firstRunning = false; // the first batch's partition moved while it waited for a retry
        const second = t.payload([t.good(2)]);
        await t.eachBatch(second.p);
        await t.sut.stop();
        expect(calls).toBe(2); // the second was written...
        expect(first.commits).toEqual([]);
        expect(second.commits).toEqual([]); // ... and not committed
      });
    });
  });
});

/** kafkajs' error classes take a message at run time, whatever their typings say. */
function kafkajsError<T>(Class: new () => T, message: string): T {
  return new (Class as unknown as new (message: string) => T)(message);
}

describe('BatchConsumer after a crash kafkajs does not recover from', () => {
  interface FakeConsumer {
    readonly listeners: Map<string, (event: unknown) => void>;
    readonly connect: jest.Mock;
    readonly seek: jest.Mock;
    config?: ConsumerRunConfig;
  }

  /** `refusals`: how many times the consumers made after the first fail to connect. */
  async function started(handleBatch: BatchHandler = async () => undefined, refusals = 0) {
    const registry = new InMemorySchemaRegistrar();
    const id = await registry.register('events.ping-value', SCHEMA);
    const consumers: FakeConsumer[] = [];
    let left = refusals;
    const kafka = {
      consumer: () => {
        const replacement = consumers.length > 0;
        const c: FakeConsumer = {
          listeners: new Map(),
          connect: jest.fn(async () => {
            if (replacement && left-- > 0)
              throw kafkajsError(KafkaJSGroupCoordinatorNotFound, 'still gone');
          }),
          seek: jest.fn(),
        };
        consumers.push(c);
        return {
          events: { CRASH: 'crash', GROUP_JOIN: 'join' },
          on: (name: string, listener: (event: unknown) => void) => c.listeners.set(name, listener),
          connect: c.connect,
          subscribe: async () => undefined,
          run: async (config: ConsumerRunConfig) => void (c.config = config),
          stop: async () => undefined,
          disconnect: async () => undefined,
          seek: c.seek,
        };
      },
    };
    const sut = new BatchConsumer({
      kafka: kafka as never,
      groupId: 'g',
      topics: ['events.ping'],
      registry,
      deadLetters: { publish: async () => undefined },
      handleBatch,
      pipelined: true,
      retry: { initialMs: 1, maxMs: 2 },
      restartBackoff: { initialMs: 1, maxMs: 2 },
    });
    await sut.start();
    const crash = (c: FakeConsumer, error: Error, restart: boolean) =>
      c.listeners.get('crash')?.({ payload: { error, groupId: 'g', restart } });
    const running = () => consumers.filter((c) => c.config !== undefined);
    const value = new AvroSerde(registry).encode(id, SCHEMA, { n: 1 });
    return { sut, consumers, crash, running, value };
  }

  const settle = () => new Promise((r) => setTimeout(r, 50));
  // What kafkajs emits when a broker restart outlasts its retries to find the coordinator.
  const coordinatorGone = () => {
    // As kafkajs' retrier wraps it (its typings leave the options out).
    const cause = kafkajsError(KafkaJSGroupCoordinatorNotFound, 'Failed to find group coordinator');
    return Object.assign(new KafkaJSNonRetriableError(cause), { cause });
  };

  it('starts a new consumer that joins the group again, and keeps the crash for readiness', async () => {
    const t = await started();
    const error = coordinatorGone();
    t.crash(t.consumers[0] as FakeConsumer, error, false);
    await settle();
    expect(t.consumers).toHaveLength(2);
    expect((t.consumers[1] as FakeConsumer).config).toMatchObject({
      autoCommit: false,
      eachBatchAutoResolve: false,
    });
    expect(t.sut.lastCrash()).toBe(error);
  });

  it('leaves the restart to kafkajs when it restarts, and gives up on an error that cannot heal', async () => {
    const t = await started();
    t.crash(t.consumers[0] as FakeConsumer, coordinatorGone(), true);
    t.crash(
      t.consumers[0] as FakeConsumer,
      kafkajsError(KafkaJSSASLAuthenticationError, 'denied'),
      false,
    );
    await settle();
    expect(t.consumers).toHaveLength(1);
  });

  it('tries again while a new consumer cannot join, and not once stopped', async () => {
    const t = await started(undefined, 2);
    t.crash(t.consumers[0] as FakeConsumer, coordinatorGone(), false);
    await settle();
    // Two refused to connect, the third runs.
    expect(t.consumers).toHaveLength(4);
    expect(t.running()).toEqual([t.consumers[0], t.consumers[3]]);
    await t.sut.stop();
    t.crash(t.consumers[3] as FakeConsumer, coordinatorGone(), false);
    await settle();
    expect(t.consumers).toHaveLength(4);
  });

  it('does not move the new consumer when a batch of the crashed one is given up', async () => {
    let fail: (e: Error) => void = () => undefined;
    const t = await started(() => new Promise((_, reject) => (fail = reject)));
    const old = t.consumers[0] as FakeConsumer;
    let oldRunning = true;
    const payload = {
      batch: {
        topic: 'events.ping',
        partition: 0,
        messages: [
          { key: null, value: t.value, offset: '7', timestamp: '0', attributes: 0, headers: {} },
        ],
        firstOffset: () => '7',
        lastOffset: () => '7',
      },
      resolveOffset: () => undefined,
      heartbeat: async () => undefined,
      commitOffsetsIfNecessary: async () => undefined,
      isRunning: () => oldRunning,
      isStale: () => false,
    };
    await (old.config?.eachBatch as (p: unknown) => Promise<void>)(payload);
    oldRunning = false;
    t.crash(old, coordinatorGone(), false);
    await settle();
    // The crashed consumer's batch fails now and is given up uncommitted; the new consumer
    // starts from the committed offset, and nothing seeks it past what was never handled.
    fail(new MessagingError('KAFKA_CONNECTION', 'gone', { retriable: true }));
    await settle();
    expect(t.running()).toHaveLength(2);
    expect((t.consumers[1] as FakeConsumer).seek).not.toHaveBeenCalled();
  });
});

describe('headerText', () => {
  it('reads each header as UTF-8 text, a repeated one as its last value', () => {
    expect(
      headerText({
        traceparent: Buffer.from('00-abc-01'),
        'x-repeated': [Buffer.from('first'), Buffer.from('last')],
        'x-text': 'as is',
        'x-missing': undefined,
      }),
    ).toEqual({ traceparent: '00-abc-01', 'x-repeated': 'last', 'x-text': 'as is' });
  });

  it('gives records without headers one shared, frozen empty object', () => {
    const none = headerText(undefined);
    expect(none).toEqual({});
    expect(headerText({})).toBe(none);
    expect(Object.isFrozen(none)).toBe(true);
  });
});
