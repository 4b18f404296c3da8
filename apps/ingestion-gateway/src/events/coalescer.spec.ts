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

describe('Coalescer', () => {
  it('flushes an item at once when idle, and groups what arrives while a flush runs', async () => {
    const gate = gatedFlush();
    const c = new Coalescer(gate.flush);
    const first = c.submit(1);
    const rest = [c.submit(2), c.submit(3), c.submit(4)];
    expect(gate.flushes).toEqual([[1]]);
    gate.release();
    expect(await first).toBe(10);
    await new Promise((r) => setImmediate(r));
    expect(gate.flushes).toEqual([[1], [2, 3, 4]]);
    gate.release();
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
  });

  it('fails every item of a failed flush, and goes on with the next ones', async () => {
    let calls = 0;
    const c = new Coalescer<number, number>(async (items) => {
      calls++;
      if (calls === 1) throw new Error('database gone');
      return items.map((n) => -n);
    });
    const failed = c.submit(1);
    const next = c.submit(2);
    await expect(failed).rejects.toThrow('database gone');
    expect(await next).toBe(-2);
    expect(await c.submit(3)).toBe(-3);
  });
});
