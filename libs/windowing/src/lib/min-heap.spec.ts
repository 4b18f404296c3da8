import fc from 'fast-check';
import { MinHeap } from './min-heap';

describe(MinHeap.name, () => {
  it('pops by priority, equal priorities first-in first-out', () => {
    const heap = new MinHeap<string>();
    for (const [priority, item] of [
      [5, 'e'],
      [1, 'a1'],
      [3, 'c'],
      [1, 'a2'],
      [2, 'b'],
    ] as const)
      heap.push(priority, item);
    expect(heap.size).toBe(5);
    expect(heap.peekPriority()).toBe(1);
    const out: (string | undefined)[] = [];
    while (heap.size > 0) out.push(heap.pop());
    expect(out).toEqual(['a1', 'a2', 'b', 'c', 'e']);
    expect(heap.pop()).toBeUndefined();
    expect(heap.peekPriority()).toBeUndefined();
  });
});

describe(`${MinHeap.name} against a stable sort`, () => {
  it('pops every mix of push, pop and replaceTop in (priority, insertion) order', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant('push' as const),
              priority: fc.integer({ min: 0, max: 20 }),
            }),
            fc.record({ op: fc.constant('pop' as const) }),
            fc.record({
              op: fc.constant('replaceTop' as const),
              priority: fc.integer({ min: 0, max: 20 }),
            }),
          ),
          { maxLength: 200 },
        ),
        (ops) => {
          const heap = new MinHeap<number>();
          // The reference: entries kept sorted by (priority, insertion number).
          const reference: { priority: number; seq: number }[] = [];
          let seq = 0;
          const insert = (priority: number): void => {
            reference.push({ priority, seq: seq++ });
            reference.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
          };
          for (const step of ops) {
            if (step.op === 'push') {
              heap.push(step.priority, seq);
              insert(step.priority);
            } else if (step.op === 'pop') {
              expect(heap.pop()).toBe(reference.shift()?.seq);
            } else {
              const item = seq;
              const expected = reference.shift()?.seq;
              expect(heap.replaceTop(step.priority, item)).toBe(expected);
              insert(step.priority);
            }
            expect(heap.size).toBe(reference.length);
            expect(heap.peekPriority()).toBe(reference[0]?.priority);
          }
          while (heap.size > 0) expect(heap.pop()).toBe(reference.shift()?.seq);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
