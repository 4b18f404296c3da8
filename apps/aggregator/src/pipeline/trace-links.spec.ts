import {
  encodeTraceLinks,
  linkHorizonMs,
  parseTraceLinks,
  TraceLinks,
  type TraceLink,
} from './trace-links';

const tp = (n: number) => `00-${'a'.repeat(31)}${n}-${'b'.repeat(15)}${n}-01`;
const link = (group: string, time: number, n: number): TraceLink => ({
  group,
  time,
  traceparent: tp(n),
});

describe('trace links', () => {
  it('travel in a header and come back equal', () => {
    const links = [link('["mobile"]', 1_000, 1), link('[]', 2_000, 2)];
    expect(parseTraceLinks(encodeTraceLinks(links))).toEqual(links);
  });

  it('leave out what is not a link, and never throw on a header', () => {
    const text = JSON.stringify([
      ['["mobile"]', 1_000, tp(1)],
      ['["mobile"]', '1000', tp(2)],
      ['["mobile"]', 1_000, 'not-a-traceparent'],
      [1, 1_000, tp(3)],
      'x',
    ]);
    expect(parseTraceLinks(text)).toEqual([link('["mobile"]', 1_000, 1)]);
    expect(parseTraceLinks('{not json')).toEqual([]);
    expect(parseTraceLinks('{"a":1}')).toEqual([]);
  });

  it('finds the inputs of a window by group and event time, end excluded', () => {
    const links = new TraceLinks();
    links.add(link('["mobile"]', 59_999, 1));
    links.add(link('["mobile"]', 60_000, 2));
    links.add(link('["tablet"]', 30_000, 3));
    expect(links.within('["mobile"]', 0, 60_000)).toEqual([tp(1)]);
    expect(links.within('["mobile"]', 60_000, 120_000)).toEqual([tp(2)]);
    expect(links.within('["desktop"]', 0, 120_000)).toEqual([]);
  });

  it('stays bounded: the oldest go beyond the limit, the watermark retires the rest', () => {
    const links = new TraceLinks(2);
    links.add(link('[]', 1, 1));
    links.add(link('[]', 2, 2));
    links.add(link('[]', 3, 3));
    expect(links.size).toBe(2);
    expect(links.within('[]', 0, 10)).toEqual([tp(2), tp(3)]);
    links.forgetBefore(3);
    expect(links.within('[]', 0, 10)).toEqual([tp(3)]);
  });

  it('keeps an input until every window that may hold it is emitted', () => {
    const timing = { allowedLatenessMs: 30_000, outOfOrdernessMs: 5_000 };
    expect(linkHorizonMs({ type: 'tumbling', sizeMs: 60_000, ...timing })).toBe(95_000);
    expect(linkHorizonMs({ type: 'sliding', sizeMs: 600_000, slideMs: 60_000, ...timing })).toBe(
      635_000,
    );
    expect(linkHorizonMs({ type: 'session', gapMs: 1_800_000, ...timing })).toBe(1_835_000);
  });
});
