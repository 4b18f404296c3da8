import { writeIsolatingFailures } from './isolate-failures';

class BadValue extends Error {
  readonly retriable = false;
}
class Transient extends Error {
  readonly retriable = true;
}

/** A fake sink table: refuses any group holding a bad item, stores the rest. */
function fakeTable(bad: ReadonlySet<number>) {
  const stored: number[] = [];
  const calls: number[][] = [];
  const write = async (group: readonly number[]): Promise<void> => {
    calls.push([...group]);
    if (group.some((x) => bad.has(x))) throw new BadValue(`bad ${group.find((x) => bad.has(x))}`);
    stored.push(...group);
  };
  return { stored, calls, write };
}

describe(writeIsolatingFailures.name, () => {
  it('writes a clean batch in one call', async () => {
    const t = fakeTable(new Set());
    expect(await writeIsolatingFailures([1, 2, 3], t.write)).toEqual([]);
    expect(t.calls).toEqual([[1, 2, 3]]);
  });

  it('isolates the bad records of a batch and writes all the others', async () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const t = fakeTable(new Set([7, 63]));
    const failures = await writeIsolatingFailures(items, t.write);
    expect(failures.map((f) => f.item)).toEqual([7, 63]);
    expect(failures[0]?.error).toBeInstanceOf(BadValue);
    expect(t.stored.sort((a, b) => a - b)).toEqual(items.filter((x) => x !== 7 && x !== 63));
    expect(t.calls.length).toBeLessThan(40);
  });

  it('rethrows a retriable error instead of bisecting', async () => {
    const write = jest.fn(async () => {
      throw new Transient('connection reset');
    });
    await expect(writeIsolatingFailures([1, 2], write)).rejects.toBeInstanceOf(Transient);
    expect(write).toHaveBeenCalledTimes(1);
  });
});
