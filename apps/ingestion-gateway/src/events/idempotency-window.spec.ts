import { IdempotencyWindow } from './idempotency-window';

describe(IdempotencyWindow.name, () => {
  let now = 0;
  const make = (windowMs = 1_000, maxEntries = 100) =>
    new IdempotencyWindow({ windowMs, maxEntries, now: () => now });
  const flush = () => new Promise((resolve) => setImmediate(resolve));

  beforeEach(() => {
    now = 0;
  });

  it('reports an acknowledged id as seen within the window and new after it', async () => {
    const w = make();
    w.claim('a', Promise.resolve(true));
    await flush();
    now = 999;
    expect(w.check('a').state).toBe('acked');
    now = 2_000;
    expect(w.check('a').state).toBe('new');
  });

  it('hands out the pending produce of an id in flight', async () => {
    const w = make();
    let settle!: (v: boolean) => void;
    w.claim('a', new Promise<boolean>((resolve) => (settle = resolve)));
    const seen = w.check('a');
    expect(seen.state).toBe('pending');
    settle(true);
    if (seen.state === 'pending') expect(await seen.outcome).toBe(true);
    expect(w.check('a').state).toBe('acked');
  });

  it('forgets an id whose produce failed, so a retry produces it', async () => {
    const w = make();
    w.claim('a', Promise.resolve(false));
    await flush();
    expect(w.check('a').state).toBe('new');
  });

  it('evicts the oldest ids beyond its size', async () => {
    const w = make(10_000, 2);
    for (const id of ['a', 'b', 'c']) w.claim(id, Promise.resolve(true));
    await flush();
    expect(w.size).toBe(2);
    expect(w.check('a').state).toBe('new');
    expect(w.check('c').state).toBe('acked');
  });

  it('sweeps expired acknowledged ids', async () => {
    const w = make(100);
    w.claim('a', Promise.resolve(true));
    await flush();
    now = 500;
    w.sweep();
    expect(w.size).toBe(0);
  });

  it('does nothing with a zero window', () => {
    const w = make(0);
    w.claim('a', Promise.resolve(true));
    expect(w.check('a').state).toBe('new');
  });
});
