import { SyntheticGenerator, type StreamedEvent } from '@platform/synthetic';
import { validateDomainModel, type DomainModel } from '@platform/contracts';
import type { EventSink } from './event-sink';
import { runGeneration, type Clock } from './generation-loop';

const model = ((): DomainModel => {
  const r = validateDomainModel({
    domain: 'shop',
    version: 'v1',
    contract: {},
    entities: { user: { primary_key: 'user_id' } },
    event_types: [
      { name: 'page_view', entity: 'user', dimensions: ['page'] },
      {
        name: 'purchase',
        entity: 'user',
        dimensions: [{ name: 'revenue', type: 'double', min: 1, max: 9 }],
      },
    ],
  });
  if (!r.ok) throw new Error('bad model');
  return r.model;
})();

function fakeClock(): Clock & { slept: number } {
  let t = 0;
  const clock = {
    slept: 0,
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
      clock.slept += ms;
    },
  };
  return clock;
}

class FakeSink implements EventSink {
  readonly name = 'fake';
  readonly received: StreamedEvent[] = [];
  constructor(private readonly failEvery = 0) {}
  async send(event: StreamedEvent): Promise<void> {
    this.received.push(event);
    if (this.failEvery > 0 && this.received.length % this.failEvery === 0)
      throw new Error('broker down');
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A sink that takes whole chunks with one promise each. */
class ChunkSink extends FakeSink {
  readonly chunks: number[] = [];
  constructor(private readonly failChunk = -1) {
    super();
  }
  async sendMany(events: readonly StreamedEvent[]): Promise<void> {
    this.chunks.push(events.length);
    this.received.push(...events);
    if (this.chunks.length - 1 === this.failChunk) throw new Error('broker down');
  }
}

describe(runGeneration.name, () => {
  it('hands a sink that takes chunks whole chunks, and counts every event of a failed one as an error', async () => {
    const sink = new ChunkSink(1);
    const result = await runGeneration({
      source: new SyntheticGenerator(model, { seed: 1 }).stream({ count: 1_200 }),
      sink,
      model,
      clock: fakeClock(),
    });
    expect(sink.chunks).toEqual([500, 500, 200]);
    expect(result).toMatchObject({
      generated: 1_200,
      sent: 700,
      errors: 500,
      firstError: 'broker down',
    });
    expect(result.summary.total).toBe(700);
  });

  it('awaits an asynchronous source, stops at the count, and ends the run when the source fails', async () => {
    async function* views(failAfter: number): AsyncGenerator<{
      eventType: string;
      event: Record<string, string | number>;
    }> {
      for (let i = 1; ; i++) {
        if (i > failAfter) throw new Error('the file went away');
        yield {
          eventType: 'page_view',
          event: { event_id: `e${i}`, timestamp: i, user_id: 'u', page: '/' },
        };
      }
    }
    const sink = new FakeSink();
    const counted = await runGeneration({
      source: views(Infinity),
      count: 5,
      sink,
      model,
      clock: fakeClock(),
    });
    expect(counted).toMatchObject({
      generated: 5,
      sent: 5,
      stoppedBy: 'count',
      firstError: undefined,
    });
    expect(sink.received[0]).toMatchObject({ delivery: 'in_order', delayMs: 0 });

    const failed = await runGeneration({
      source: views(3),
      sink: new FakeSink(),
      model,
      clock: fakeClock(),
    });
    expect(failed).toMatchObject({
      generated: 3,
      sent: 3,
      errors: 0,
      firstError: 'the file went away',
    });
  });

  it('sends every event of a finite source and summarises what was acknowledged', async () => {
    const stream = new SyntheticGenerator(model, { seed: 1 }).stream({ count: 1_234 });
    const sink = new FakeSink();
    const result = await runGeneration({ source: stream, sink, model, clock: fakeClock() });
    expect(result).toMatchObject({ generated: 1_234, sent: 1_234, errors: 0, stoppedBy: 'count' });
    expect(result.summary).toEqual(stream.summary());
  });

  it('paces the run at the requested rate', async () => {
    const clock = fakeClock();
    const source = new SyntheticGenerator(model, { seed: 1 }).stream({ count: 10_000 });
    const result = await runGeneration({
      source,
      sink: new FakeSink(),
      model,
      clock,
      ratePerSec: 2_000,
    });
    expect(result.elapsedMs).toBeGreaterThan(4_800);
    expect(result.elapsedMs).toBeLessThan(5_100);
  });

  it('stops after the duration on an endless source', async () => {
    const clock = fakeClock();
    const source = new SyntheticGenerator(model, { seed: 1 }).stream();
    const result = await runGeneration({
      source,
      sink: new FakeSink(),
      model,
      clock,
      ratePerSec: 1_000,
      durationMs: 3_000,
    });
    expect(result.stoppedBy).toBe('duration');
    expect(result.generated).toBeGreaterThan(2_900);
    expect(result.generated).toBeLessThan(3_200);
  });

  it('counts failed sends as errors and keeps the first message', async () => {
    const source = new SyntheticGenerator(model, { seed: 1 }).stream({ count: 100 });
    const result = await runGeneration({
      source,
      sink: new FakeSink(10),
      model,
      clock: fakeClock(),
    });
    expect(result).toMatchObject({ sent: 90, errors: 10, firstError: 'broker down' });
    expect(result.summary.total).toBe(90);
  });

  it('stops when the signal aborts', async () => {
    const controller = new AbortController();
    const source = new SyntheticGenerator(model, { seed: 1 }).stream();
    const sink = new FakeSink();
    const send = sink.send.bind(sink);
    sink.send = async (e) => {
      if (sink.received.length === 50) controller.abort();
      return send(e);
    };
    const result = await runGeneration({
      source,
      sink,
      model,
      clock: fakeClock(),
      signal: controller.signal,
    });
    expect(result.stoppedBy).toBe('signal');
    expect(result.sent).toBe(result.generated);
  });
});
