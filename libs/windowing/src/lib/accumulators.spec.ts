import type { AggregationType } from '@platform/contracts';
import {
  accumulatorValue,
  addEvent,
  createAccumulator,
  deserializeAccumulator,
  mergeAccumulator,
  serializeAccumulator,
} from './accumulators';
import type { WindowEvent } from './types';

function run(type: AggregationType, events: readonly WindowEvent[], field = 'v') {
  const acc = createAccumulator(type);
  for (const e of events) addEvent(acc, e, field);
  return accumulatorValue(acc, events.length);
}

const ev = (event_id: string, timestamp: number, v: unknown): WindowEvent => ({
  event_id,
  timestamp,
  v,
});

describe(createAccumulator.name, () => {
  it('breaks first/last ties in time by event_id as a string, not by arrival', () => {
    const a = ev('b', 5, 'from b');
    const b = ev('a', 5, 'from a');
    const c = ev('c', 5, 'from c');
    expect(run('first', [a, b, c])).toBe('from a');
    expect(run('first', [c, a, b])).toBe('from a');
    expect(run('last', [b, c, a])).toBe('from c');
    expect(run('last', [c, b, a])).toBe('from c');
  });

  it('compares event ids as strings: "10" sorts before "9"', () => {
    expect(run('first', [ev('9', 1, 'nine'), ev('10', 1, 'ten')])).toBe('ten');
  });

  it('takes first/last by timestamp before event_id', () => {
    expect(run('first', [ev('a', 2, 'late a'), ev('z', 1, 'early z')])).toBe('early z');
    expect(run('last', [ev('z', 1, 'early z'), ev('a', 2, 'late a')])).toBe('late a');
  });

  it('ignores absent and non-numeric values in sum, avg, min and max, like SQL NULL', () => {
    const events = [ev('1', 0, 4), ev('2', 0, null), ev('3', 0, 'x'), ev('4', 0, 2)];
    expect(run('sum', events)).toBe(6);
    expect(run('avg', events)).toBe(3);
    expect(run('min', events)).toBe(2);
    expect(run('max', events)).toBe(4);
    expect(run('count', events)).toBe(4);
    expect(run('sum', [ev('1', 0, null)])).toBeNull();
    expect(run('avg', [ev('1', 0, undefined)])).toBeNull();
  });

  it('counts distinct values exactly, telling 1 from "1" and ignoring null', () => {
    const events = [
      ev('1', 0, 1),
      ev('2', 0, '1'),
      ev('3', 0, 1),
      ev('4', 0, null),
      ev('5', 0, { b: 1, a: 2 }),
      ev('6', 0, { a: 2, b: 1 }),
    ];
    expect(run('count_distinct', events)).toBe(3);
  });

  it('accepts bigint values, as an Avro long may be decoded', () => {
    expect(run('sum', [ev('1', 0, 2n), ev('2', 0, 3)])).toBe(5);
  });

  it('merges two states into the state of the union', () => {
    const types: AggregationType[] = [
      'count_distinct',
      'sum',
      'avg',
      'min',
      'max',
      'first',
      'last',
    ];
    const left = [ev('a', 1, 3), ev('b', 7, 1)];
    const right = [ev('c', 0, 5), ev('d', 9, 3)];
    for (const type of types) {
      const l = createAccumulator(type);
      const r = createAccumulator(type);
      left.forEach((e) => addEvent(l, e, 'v'));
      right.forEach((e) => addEvent(r, e, 'v'));
      mergeAccumulator(l, r);
      expect(accumulatorValue(l, 4)).toEqual(run(type, [...left, ...right]));
    }
  });

  it('round-trips through its JSON form', () => {
    const types: AggregationType[] = [
      'count',
      'count_distinct',
      'sum',
      'avg',
      'min',
      'max',
      'first',
      'last',
    ];
    for (const type of types) {
      const acc = createAccumulator(type);
      [ev('b', 1, 0.1), ev('a', 2, 0.2), ev('c', 2, 0.2)].forEach((e) => addEvent(acc, e, 'v'));
      const copy = deserializeAccumulator(JSON.parse(JSON.stringify(serializeAccumulator(acc))));
      expect(accumulatorValue(copy, 3)).toEqual(accumulatorValue(acc, 3));
      expect(serializeAccumulator(copy)).toEqual(serializeAccumulator(acc));
    }
  });
});
