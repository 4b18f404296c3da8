import { MessagingError } from './messaging.error';
import { SendBuffer, type TopicBatches } from './send-buffer';

interface Call {
  batches: Map<string, number[]>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** A dispatch function whose calls the test settles by hand. */
function fakeDispatch(): { calls: Call[]; dispatch: (b: TopicBatches<number>) => Promise<void> } {
  const calls: Call[] = [];
  return {
    calls,
    dispatch: (batches) =>
      new Promise<void>((resolve, reject) => {
        calls.push({
          batches: new Map([...batches].map(([t, m]) => [t, [...m]])),
          resolve,
          reject,
        });
      }),
  };
}

const tick = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe(SendBuffer.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('waits lingerMs before dispatching a partial batch', async () => {
    const { calls, dispatch } = fakeDispatch();
    const buffer = new SendBuffer<number>({ dispatch, lingerMs: 5, maxBatchSize: 100 });
    void buffer.add('a', 1);
    void buffer.add('a', 2);
    jest.advanceTimersByTime(4);
    expect(calls).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.batches.get('a')).toEqual([1, 2]);
  });

  it('tells a receiver the outcome of each tagged message by its tag, across topics and dispatches', async () => {
    const { calls, dispatch } = fakeDispatch();
    const buffer = new SendBuffer<number>({ dispatch, lingerMs: 1_000, maxBatchSize: 2 });
    const outcomes: [number, string | undefined][] = [];
    const receiver = {
      settled: (tag: number, error: MessagingError | undefined) =>
        outcomes.push([tag, error?.code]),
    };
    const promised = buffer.add('b', 0);
    // Topic a fills its dispatch (2 of 3); b's tagged message rides along with the promised one.
    buffer.addTagged([10, 11, 12, 13], ['a', 'b', 'a', 'a'], [7, 3, 5, 9], receiver);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.batches).toEqual(
      new Map([
        ['b', [0, 11]],
        ['a', [10, 12]],
      ]),
    );
    calls[0]?.reject(new MessagingError('KAFKA_CONNECTION', 'down', { retriable: true }));
    await expect(promised).rejects.toMatchObject({ code: 'KAFKA_CONNECTION' });
    expect(outcomes).toEqual([
      [3, 'KAFKA_CONNECTION'],
      [7, 'KAFKA_CONNECTION'],
      [5, 'KAFKA_CONNECTION'],
    ]);
    jest.advanceTimersByTime(1_000);
    expect(calls[1]?.batches).toEqual(new Map([['a', [13]]]));
    calls[1]?.resolve();
    await tick();
    expect(outcomes.slice(3)).toEqual([[9, undefined]]);
    expect(buffer.pending).toBe(0);
  });

  it('settles every message of a dispatch even when a receiver throws, and rethrows it outside', async () => {
    const { calls, dispatch } = fakeDispatch();
    const buffer = new SendBuffer<number>({ dispatch, lingerMs: 5, maxBatchSize: 10 });
    const seen: number[] = [];
    const bug = new Error('receiver bug');
    buffer.addTagged([1, 2], ['a', 'a'], [1, 2], {
      settled: (tag) => {
        seen.push(tag);
        if (tag === 1) throw bug;
      },
    });
    const promised = buffer.add('a', 3);
    jest.advanceTimersByTime(5);
    expect(calls[0]?.batches.get('a')).toEqual([1, 2, 3]);
    const rethrown: unknown[] = [];
    const immediate = jest.spyOn(global, 'setImmediate').mockImplementation(((fn: () => void) => {
      try {
        fn();
      } catch (e) {
        rethrown.push(e);
      }
      return undefined as unknown as NodeJS.Immediate;
    }) as typeof setImmediate);
    try {
      calls[0]?.resolve();
      await expect(promised).resolves.toBeUndefined();
    } finally {
      immediate.mockRestore();
    }
    expect(seen).toEqual([1, 2]);
    expect(rethrown).toEqual([bug]);
    expect(buffer.pending).toBe(0);
  });

  it('settles messages added together with one promise, after the last of them', async () => {
    const { calls, dispatch } = fakeDispatch();
    const buffer = new SendBuffer<number>({ dispatch, lingerMs: 1_000, maxBatchSize: 2 });
    let outcome: unknown = 'pending';
    buffer.addAll([1, 2, 3].map((n) => ({ topic: 'a', message: n }))).then(
      () => (outcome = 'sent'),
      (e: unknown) => (outcome = e),
    );
    expect(calls).toHaveLength(1);
    const failure = new MessagingError('KAFKA_CONNECTION', 'down', { retriable: true });
    calls[0]?.reject(failure);
    await tick();
    expect(outcome).toBe('pending');
    jest.advanceTimersByTime(1_000);
    expect(calls[1]?.batches.get('a')).toEqual([3]);
    calls[1]?.resolve();
    await tick();
    expect(outcome).toMatchObject({ code: 'KAFKA_CONNECTION' });
    expect(buffer.pending).toBe(0);
  });

  it('dispatches at once when a topic reaches maxBatchSize', () => {
    const { calls, dispatch } = fakeDispatch();
    const buffer = new SendBuffer<number>({ dispatch, lingerMs: 1_000, maxBatchSize: 3 });
    void buffer.add('a', 1);
    void buffer.add('a', 2);
    expect(calls).toHaveLength(0);
    void buffer.add('a', 3);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.batches.get('a')).toEqual([1, 2, 3]);
  });

  it('takes every topic into one dispatch, at most maxBatchSize of each, in order', () => {
    const { calls, dispatch } = fakeDispatch();
    const buffer = new SendBuffer<number>({ dispatch, lingerMs: 5, maxBatchSize: 2 });
    void buffer.add('b', 10);
    void buffer.add('a', 1);
    void buffer.add('a', 2); // a is full: dispatch now
    expect(calls).toHaveLength(1);
    expect(calls[0]?.batches).toEqual(
      new Map([
        ['b', [10]],
        ['a', [1, 2]],
      ]),
    );
  });

  it('bounds the share of each topic in a dispatch by bytes too, and sends a bigger message alone', async () => {
    const { calls, dispatch } = fakeDispatch();
    // A message's size is its value: 400 + 400 fit in 1,000 bytes, a third does not.
    const buffer = new SendBuffer<number>({
      dispatch,
      lingerMs: 5,
      maxBatchSize: 100,
      maxBatchBytes: { max: 1_000, sizeOf: (n) => n },
    });
    void buffer.add('b', 900);
    void buffer.addEach([400, 400, 400, 5_000, 1], ['a', 'a', 'a', 'a', 'a']);
    // More than one dispatch's worth of a is queued: the first goes at once, with all of b.
    expect(calls).toHaveLength(1);
    expect(calls[0]?.batches).toEqual(
      new Map([
        ['b', [900]],
        ['a', [400, 400]],
      ]),
    );
    calls[0]?.resolve();
    await tick();
    expect(calls[1]?.batches).toEqual(new Map([['a', [400]]]));
    calls[1]?.resolve();
    await tick();
    expect(calls[2]?.batches).toEqual(new Map([['a', [5_000]]]));
    calls[2]?.resolve();
    await tick();
    jest.advanceTimersByTime(5);
    expect(calls[3]?.batches).toEqual(new Map([['a', [1]]]));
  });

  it('keeps one dispatch in flight and sends what queued meanwhile right after it', async () => {
    const { calls, dispatch } = fakeDispatch();
    const buffer = new SendBuffer<number>({ dispatch, lingerMs: 5, maxBatchSize: 2 });
    for (let i = 0; i < 5; i++) void buffer.add('a', i);
    expect(calls).toHaveLength(1);
    expect(buffer.pending).toBe(5);
    calls[0]?.resolve();
    await tick();
    expect(calls).toHaveLength(2);
    expect(calls[1]?.batches.get('a')).toEqual([2, 3]);
    calls[1]?.resolve();
    await tick();
    // The leftover is not full: it still waits out the linger of its arrival.
    expect(calls).toHaveLength(2);
    jest.advanceTimersByTime(5);
    expect(calls).toHaveLength(3);
    expect(calls[2]?.batches.get('a')).toEqual([4]);
  });

  it('queued while a dispatch flies, many topics go out at most maxBatchSize of each, in order, each tag settled once', async () => {
    const { calls, dispatch } = fakeDispatch();
    const buffer = new SendBuffer<number>({ dispatch, lingerMs: 5, maxBatchSize: 3 });
    const settled: number[] = [];
    const receiver = { settled: (tag: number) => void settled.push(tag) };
    buffer.addTagged([0, 1, 2], ['a', 'a', 'a'], [100, 101, 102], receiver); // full: goes now
    expect(calls).toHaveLength(1);
    // Seven of a and three of b across two calls while the first dispatch is in flight.
    buffer.addTagged([3, 10, 4, 5], ['a', 'b', 'a', 'a'], [103, 110, 104, 105], receiver);
    buffer.addTagged(
      [6, 11, 7, 8, 12, 9],
      ['a', 'b', 'a', 'a', 'b', 'a'],
      [106, 111, 107, 108, 112, 109],
      receiver,
    );
    expect(buffer.pending).toBe(13);
    for (let i = 0; i < 4; i++) {
      // The last one, not full, waits out its linger.
      if (i === 3) jest.advanceTimersByTime(5);
      calls[i]?.resolve();
      await tick();
    }
    expect(calls.map((c) => Object.fromEntries(c.batches))).toEqual([
      { a: [0, 1, 2] },
      { a: [3, 4, 5], b: [10, 11, 12] },
      { a: [6, 7, 8] },
      { a: [9] },
    ]);
    expect(settled.sort((x, y) => x - y)).toEqual([
      100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112,
    ]);
    expect(buffer.pending).toBe(0);
  });

  it('resolves each add when its dispatch is acknowledged and rejects it when that dispatch fails', async () => {
    const { calls, dispatch } = fakeDispatch();
    const settled: Array<[number, string | undefined]> = [];
    const buffer = new SendBuffer<number>({
      dispatch,
      lingerMs: 5,
      maxBatchSize: 2,
      onSettled: (b, e) => settled.push([[...b.values()].flat().length, e?.code]),
    });
    const ok = [buffer.add('a', 1), buffer.add('a', 2)];
    const bad = [buffer.add('a', 3), buffer.add('a', 4)];
    calls[0]?.resolve();
    await tick();
    calls[1]?.reject(new MessagingError('NOT_LEADER_FOR_PARTITION', 'moved', { retriable: true }));
    await expect(Promise.all(ok)).resolves.toEqual([undefined, undefined]);
    for (const p of bad)
      await expect(p).rejects.toMatchObject({ code: 'NOT_LEADER_FOR_PARTITION' });
    expect(settled).toEqual([
      [2, undefined],
      [2, 'NOT_LEADER_FOR_PARTITION'],
    ]);
    expect(buffer.pending).toBe(0);
  });

  it('sends messages added without linger at the end of the turn, and those queued meanwhile as soon as the dispatch in flight settles', async () => {
    const { calls, dispatch } = fakeDispatch();
    const buffer = new SendBuffer<number>({ dispatch, lingerMs: 1_000, maxBatchSize: 100 });
    const receiver = { settled: () => undefined };
    buffer.addTagged([1], ['a'], [1], receiver, false);
    buffer.addTagged([2], ['a'], [2], receiver, false);
    expect(calls).toHaveLength(0); // the rest of the turn may add more
    jest.advanceTimersByTime(0);
    expect(calls.map((c) => c.batches.get('a'))).toEqual([[1, 2]]);

    buffer.addTagged([3], ['a'], [3], receiver, false);
    jest.advanceTimersByTime(0);
    expect(calls).toHaveLength(1); // one dispatch in flight at a time
    calls[0]?.resolve();
    await tick();
    expect(calls.map((c) => c.batches.get('a'))).toEqual([[1, 2], [3]]);

    // Once the queue was emptied, a message added with the linger waits it out again.
    void buffer.add('a', 4);
    calls[1]?.resolve();
    await tick();
    jest.advanceTimersByTime(999);
    expect(calls).toHaveLength(2);
    jest.advanceTimersByTime(1);
    expect(calls.map((c) => c.batches.get('a'))).toEqual([[1, 2], [3], [4]]);
  });

  it('flush dispatches without lingering and resolves when everything before it settled', async () => {
    const { calls, dispatch } = fakeDispatch();
    const buffer = new SendBuffer<number>({ dispatch, lingerMs: 10_000, maxBatchSize: 100 });
    void buffer.add('a', 1);
    let flushed = false;
    const flushing = buffer.flush(1_000).then(() => (flushed = true));
    expect(calls).toHaveLength(1);
    void buffer.add('b', 2); // after the flush: not waited for
    await tick();
    expect(flushed).toBe(false);
    calls[0]?.resolve();
    await flushing;
    expect(flushed).toBe(true);
  });

  it('flush resolves at once when nothing is pending', async () => {
    const { dispatch } = fakeDispatch();
    const buffer = new SendBuffer<number>({ dispatch, lingerMs: 5, maxBatchSize: 10 });
    await expect(buffer.flush(10)).resolves.toBeUndefined();
  });

  it('flush rejects with FLUSH_TIMEOUT saying how many sends are still pending', async () => {
    const { dispatch } = fakeDispatch();
    const buffer = new SendBuffer<number>({ dispatch, lingerMs: 5, maxBatchSize: 2 });
    for (let i = 0; i < 3; i++) void buffer.add('a', i);
    const flushing = buffer.flush(50);
    jest.advanceTimersByTime(50);
    await expect(flushing).rejects.toMatchObject({
      code: 'FLUSH_TIMEOUT',
      message: expect.stringContaining('3 send(s) still pending'),
    });
  });

  it('flush waits per topic, so another topic settling first does not end it early', async () => {
    const { calls, dispatch } = fakeDispatch();
    const buffer = new SendBuffer<number>({ dispatch, lingerMs: 5, maxBatchSize: 2 });
    for (let i = 0; i < 4; i++) void buffer.add('a', i);
    let flushed = false;
    const flushing = buffer.flush(1_000).then(() => (flushed = true));
    for (let i = 0; i < 4; i++) void buffer.add('b', i);
    calls[0]?.resolve(); // a0 a1
    await tick();
    expect(flushed).toBe(false);
    expect(calls[1]?.batches).toEqual(
      new Map([
        ['a', [2, 3]],
        ['b', [0, 1]],
      ]),
    );
    calls[1]?.resolve();
    await flushing;
    expect(flushed).toBe(true);
  });

  it('refuses a zero batch size', () => {
    const { dispatch } = fakeDispatch();
    expect(() => new SendBuffer<number>({ dispatch, lingerMs: 5, maxBatchSize: 0 })).toThrow(
      MessagingError,
    );
  });

  it('keeps up to maxConcurrentDispatches in flight, in order, settling each on its own', async () => {
    const { calls, dispatch } = fakeDispatch();
    const buffer = new SendBuffer<number>({
      dispatch,
      lingerMs: 0,
      maxBatchSize: 2,
      maxConcurrentDispatches: 2,
    });
    const settled: number[] = [];
    const first = buffer.addEach([1, 2, 3], ['a', 'a', 'a']).then(() => settled.push(1));
    const second = buffer.addEach([4], ['b']).then(() => settled.push(2));
    await tick();
    // Two dispatches at once ([1, 2], then the leftover [3]); [4] waits for a free slot.
    expect(calls.map((c) => Object.fromEntries(c.batches))).toEqual([{ a: [1, 2] }, { a: [3] }]);
    expect(buffer.pending).toBe(4);
    calls[1]?.resolve();
    await tick();
    expect(calls.map((c) => Object.fromEntries(c.batches))[2]).toEqual({ b: [4] });
    // The first call's messages are not all acknowledged yet.
    expect(settled).toEqual([]);
    calls[2]?.resolve();
    await tick();
    expect(settled).toEqual([2]);
    calls[0]?.resolve();
    await Promise.all([first, second]);
    expect(settled).toEqual([2, 1]);
    expect(buffer.pending).toBe(0);
  });

  it('addEach rejects once all its messages settled when one dispatch of them failed', async () => {
    const { calls, dispatch } = fakeDispatch();
    const buffer = new SendBuffer<number>({
      dispatch,
      lingerMs: 0,
      maxBatchSize: 1,
      maxConcurrentDispatches: 3,
    });
    let outcome: unknown;
    const all = buffer.addEach([1, 2, 3], ['a', 'a', 'a']).catch((e: unknown) => (outcome = e));
    await tick();
    expect(calls).toHaveLength(3);
    calls[0]?.resolve();
    calls[1]?.reject(new MessagingError('PRODUCE_FAILED', 'boom', { retriable: true }));
    await tick();
    expect(outcome).toBeUndefined();
    calls[2]?.resolve();
    await all;
    expect(outcome).toMatchObject({ code: 'PRODUCE_FAILED' });
  });

  it('refuses maxConcurrentDispatches below 1', () => {
    expect(
      () =>
        new SendBuffer<number>({
          dispatch: () => Promise.resolve(),
          lingerMs: 0,
          maxBatchSize: 1,
          maxConcurrentDispatches: 0,
        }),
    ).toThrow(MessagingError);
  });
});
