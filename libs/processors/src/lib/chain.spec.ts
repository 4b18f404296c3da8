import { deadLetter, drop, runChain, type EventContext, type EventProcessor } from './chain';

function context(event: Record<string, unknown> = {}): EventContext {
  return {
    eventType: 'visit',
    event,
    receivedAt: new Date(0),
    source: 'web',
    request: { headers: {} },
  };
}

/** A processor that notes its name in `trail` and hands on. */
function noting(name: string, trail: string[]): EventProcessor {
  return {
    name,
    process(ctx, next) {
      trail.push(name);
      ctx.event[name] = true;
      return next(ctx);
    },
  };
}

describe('runChain', () => {
  it('runs processors in order, then dispatches the event as they left it', () => {
    const trail: string[] = [];
    const dispatched: Record<string, unknown>[] = [];
    const outcome = runChain([noting('a', trail), noting('b', trail)], context(), (ctx) =>
      dispatched.push(ctx.event),
    );
    expect(outcome).toEqual({ kind: 'dispatched' });
    expect(trail).toEqual(['a', 'b']);
    expect(dispatched).toEqual([{ a: true, b: true }]);
  });

  it('stops at a processor that drops or dead-letters: nothing after it runs, nothing is dispatched', () => {
    for (const stop of [drop('gate', 'bot traffic'), deadLetter('gate', 'no consent')]) {
      const trail: string[] = [];
      const dispatch = jest.fn();
      const gate: EventProcessor = { name: 'gate', process: () => stop };
      expect(runChain([noting('a', trail), gate, noting('b', trail)], context(), dispatch)).toBe(
        stop,
      );
      expect(trail).toEqual(['a']);
      expect(dispatch).not.toHaveBeenCalled();
    }
  });

  it('dead-letters the event when a processor throws, naming the processor and its error', () => {
    const dispatch = jest.fn();
    const broken: EventProcessor = {
      name: 'broken',
      process() {
        throw new Error('lookup table missing');
      },
    };
    const trail: string[] = [];
    expect(runChain([noting('a', trail), broken, noting('b', trail)], context(), dispatch)).toEqual(
      {
        kind: 'dead-letter',
        processor: 'broken',
        reason: 'processor broken failed: lookup table missing',
      },
    );
    expect(trail).toEqual(['a']);
    expect(dispatch).not.toHaveBeenCalled();
  });

  it('dispatches at once with no processors', () => {
    const dispatch = jest.fn();
    expect(runChain([], context({ x: 1 }), dispatch)).toEqual({ kind: 'dispatched' });
    expect(dispatch).toHaveBeenCalledWith(expect.objectContaining({ event: { x: 1 } }));
  });
});
