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
