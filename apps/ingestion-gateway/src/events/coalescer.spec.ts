import { Coalescer } from './coalescer';

/** A flush that stays open until the test releases it. */
function gatedFlush(): {
  flushes: number[][];
  release: () => void;
  flush: (items: readonly number[]) => Promise<number[]>;
} {
  const flushes: number[][] = [];
  let open: (() => void) | null = null;
  return {
    flushes,
    release: () => open?.(),
    flush: async (items) => {
      flushes.push([...items]);
      await new Promise<void>((resolve) => (open = resolve));
      return items.map((n) => n * 10);
    },
  };
}

const endOfTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Coalescer', () => {
  it('flushes what one turn queued together, and groups what arrives while a flush runs', async () => {
    const gate = gatedFlush();
    const c = new Coalescer(gate.flush);
    const first = [c.submit(1), c.submit(2)];
    expect(gate.flushes).toEqual([]);
    await endOfTurn();
    expect(gate.flushes).toEqual([[1, 2]]);
    const rest = [c.submit(3), c.submit(4)];
    await endOfTurn();
    const last = c.submit(5);
    expect(gate.flushes).toEqual([[1, 2]]);
    gate.release();
    expect(await Promise.all(first)).toEqual([10, 20]);
    await endOfTurn();
    expect(gate.flushes).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
    gate.release();
    expect(await Promise.all([...rest, last])).toEqual([30, 40, 50]);
  });

  it('fails every item of a failed flush, and goes on with the next ones', async () => {
    let calls = 0;
    const c = new Coalescer<number, number>(async (items) => {
      calls++;
      if (calls === 1) throw new Error('database gone');
      return items.map((n) => -n);
    });
    const failed = c.submit(1);
    await endOfTurn();
    const next = c.submit(2);
    await expect(failed).rejects.toThrow('database gone');
    expect(await next).toBe(-2);
    expect(await c.submit(3)).toBe(-3);
  });

  it('is idle once every queued item was flushed', async () => {
    const gate = gatedFlush();
    const c = new Coalescer(gate.flush);
    await c.idle();
    const answered: number[] = [];
    void c.submit(1).then((n) => answered.push(n));
    let idle = false;
    const waiting = c.idle().then(() => (idle = true));
    await endOfTurn();
    void c.submit(2).then((n) => answered.push(n));
    gate.release();
    while (gate.flushes.length < 2) await endOfTurn();
    expect(idle).toBe(false);
    gate.release();
    await waiting;
    expect(answered).toEqual([10, 20]);
  });
});
