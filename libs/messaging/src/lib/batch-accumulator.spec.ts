import { BatchAccumulator } from './batch-accumulator';

interface Failure {
  readonly item: string;
}

function setup(options: {
  maxBatch: number;
  maxWaitMs: number;
  maxSubmissions?: number;
  maxWeight?: number;
  weightOf?: (item: string) => number;
}) {
  const flushed: string[][] = [];
  let fail: ((items: readonly string[]) => readonly Failure[]) | Error | undefined;
  const acc = new BatchAccumulator<string, Failure>({
    ...options,
    flush: async (items) => {
      flushed.push([...items]);
      if (fail instanceof Error) throw fail;
      return fail ? fail(items) : [];
    },
    itemOf: (f) => f.item,
  });
  return {
    acc,
    flushed,
    failWith: (f: typeof fail) => {
      fail = f;
    },
  };
}

describe(BatchAccumulator.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('flushes as soon as the size limit is reached', async () => {
    const { acc, flushed } = setup({ maxBatch: 3, maxWaitMs: 10_000 });
    const a = acc.submit(['a1', 'a2']);
    const b = acc.submit(['b1']);
    await expect(Promise.all([a, b])).resolves.toEqual([[], []]);
    expect(flushed).toEqual([['a1', 'a2', 'b1']]);
  });

  it('flushes as soon as the waiting items reach the weight limit', async () => {
    const { acc, flushed } = setup({
      maxBatch: 100,
      maxWaitMs: 10_000,
      maxWeight: 10,
      weightOf: (item) => item.length,
    });
    const a = acc.submit(['aaaa', 'bbbb']);
    const b = acc.submit(['cc']);
    await expect(Promise.all([a, b])).resolves.toEqual([[], []]);
    expect(flushed).toEqual([['aaaa', 'bbbb', 'cc']]);
  });

  it('flushes a small batch once the wait time is up, not before', async () => {
    const { acc, flushed } = setup({ maxBatch: 100, maxWaitMs: 500 });
    const a = acc.submit(['a1']);
    await jest.advanceTimersByTimeAsync(499);
    expect(flushed).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    await expect(a).resolves.toEqual([]);
    expect(flushed).toEqual([['a1']]);
  });

  it('flushes when every concurrent submitter has handed its records over', async () => {
    const { acc, flushed } = setup({ maxBatch: 100, maxWaitMs: 10_000, maxSubmissions: 2 });
    const a = acc.submit(['a1']);
    const b = acc.submit(['b1']);
    await Promise.all([a, b]);
    expect(flushed).toEqual([['a1', 'b1']]);
  });

  it('answers each submitter with its own failures only', async () => {
    const { acc, failWith } = setup({ maxBatch: 3, maxWaitMs: 10_000 });
    failWith((items) => items.filter((i) => i.endsWith('2')).map((item) => ({ item })));
    const a = acc.submit(['a1', 'a2']);
    const b = acc.submit(['b1']);
    await expect(a).resolves.toEqual([{ item: 'a2' }]);
    await expect(b).resolves.toEqual([]);
  });

  it('rejects every submitter of a batch whose write failed', async () => {
    const { acc, failWith } = setup({ maxBatch: 2, maxWaitMs: 10_000 });
    failWith(new Error('down'));
    const a = acc.submit(['a1']);
    const b = acc.submit(['b1']);
    await expect(a).rejects.toThrow('down');
    await expect(b).rejects.toThrow('down');
  });

  it('writes one batch at a time, keeping what arrives meanwhile for the next one', async () => {
    let release!: () => void;
    const flushed: string[][] = [];
    const acc = new BatchAccumulator<string, Failure>({
      maxBatch: 1,
      maxWaitMs: 10_000,
      flush: async (items) => {
        flushed.push([...items]);
        if (flushed.length === 1) await new Promise<void>((r) => (release = r));
        return [];
      },
      itemOf: (f) => f.item,
    });
    const a = acc.submit(['a1']);
    const b = acc.submit(['b1']);
    await jest.advanceTimersByTimeAsync(0);
    expect(flushed).toEqual([['a1']]);
    release();
    await Promise.all([a, b]);
    expect(flushed).toEqual([['a1'], ['b1']]);
  });

  /** An accumulator whose flushes wait until released, one by one, in the order they started. */
  function gated(options: { maxConcurrentFlushes: number; exclusive?: (item: string) => boolean }) {
    const started: string[][] = [];
    const releases: (() => void)[] = [];
    const acc = new BatchAccumulator<string, Failure>({
      maxBatch: 1,
      maxWaitMs: 10_000,
      ...options,
      flush: async (items) => {
        started.push([...items]);
        await new Promise<void>((r) => releases.push(r));
        return [];
      },
      itemOf: (f) => f.item,
    });
    return { acc, started, release: (i: number) => releases[i]?.() };
  }

  it('with two flushes in flight, starts the next while the first is written', async () => {
    const { acc, started, release } = gated({ maxConcurrentFlushes: 2 });
    const a = acc.submit(['a1']);
    const b = acc.submit(['b1']);
    const c = acc.submit(['c1']);
    await jest.advanceTimersByTimeAsync(0);
    // Two at once, the third waits for a slot.
    expect(started).toEqual([['a1'], ['b1']]);
    release(1);
    await b;
    await jest.advanceTimersByTimeAsync(0);
    expect(started).toEqual([['a1'], ['b1'], ['c1']]);
    release(0);
    release(2);
    await Promise.all([a, c]);
  });

  it('writes a flush holding an exclusive item alone, and nothing beside it', async () => {
    const { acc, started, release } = gated({
      maxConcurrentFlushes: 2,
      exclusive: (item) => item.startsWith('x'),
    });
    const a = acc.submit(['a1']);
    const x = acc.submit(['x1']);
    await jest.advanceTimersByTimeAsync(0);
    // The exclusive one waits until the write in flight is done...
    expect(started).toEqual([['a1']]);
    release(0);
    await a;
    await jest.advanceTimersByTimeAsync(0);
    expect(started).toEqual([['a1'], ['x1']]);
    // ... and nothing starts beside it.
    const b = acc.submit(['b1']);
    await jest.advanceTimersByTimeAsync(0);
    expect(started).toEqual([['a1'], ['x1']]);
    release(1);
    await x;
    await jest.advanceTimersByTimeAsync(0);
    expect(started).toEqual([['a1'], ['x1'], ['b1']]);
    release(2);
    await b;
  });

  it('closes only once every flush in flight is written', async () => {
    const { acc, started, release } = gated({ maxConcurrentFlushes: 2 });
    const a = acc.submit(['a1']);
    const b = acc.submit(['b1']);
    await jest.advanceTimersByTimeAsync(0);
    let closed = false;
    const closing = acc.close().then(() => (closed = true));
    release(0);
    await a;
    await jest.advanceTimersByTimeAsync(0);
    expect(closed).toBe(false);
    release(1);
    await Promise.all([b, closing]);
    expect(started).toHaveLength(2);
  });
});
