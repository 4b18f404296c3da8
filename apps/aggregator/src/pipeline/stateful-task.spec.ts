import { Outbox, type StreamRecord } from '@platform/messaging';
import { HEADERS } from './keys';
import type { Plan } from './plan';
import { Router } from './router';
import {
  newSourceCounters,
  newSourceState,
  processSource,
  restoreSource,
  sealSource,
  type SourceEnv,
} from './source-task';
import {
  flushIfComplete,
  newStatefulState,
  processStateful,
  restoreStateful,
  takeStatefulChangelog,
  type EmittedRow,
  type StatefulEnv,
  type StatefulState,
} from './stateful-task';
import {
  countSpec,
  DLQ,
  eventRecord,
  headerOf,
  jsonDecode,
  jsonSerde,
  recordsFor,
  SOURCE_TOPIC,
  testPlan,
  view,
} from './testing/step-fixtures';

const NOW = 1_700_000_000_000;
const MIN = 60_000;

/** Two source partitions feeding one stateful task, with the steps alone (no Kafka). */
function pipeline(options: { readonly complete?: boolean } = {}) {
  const plan = testPlan(countSpec(), { sourcePartitions: 2, partitions: 1 });
  const router = new Router(DLQ, () => new Date(NOW));
  const counters = newSourceCounters();
  const sourceEnv: SourceEnv = { router, idleTimeoutMs: null, counters };
  const env: StatefulEnv = {
    router,
    serde: jsonSerde,
    idleTimeoutMs: null,
    inputComplete: () => options.complete ?? false,
  };
  const sources = [0, 1].map((q) => {
    const s = newSourceState(SOURCE_TOPIC, q, [plan], jsonDecode);
    restoreSource(s, { offset: 0n, metadata: null }, sourceEnv, NOW);
    return s;
  });
  const upto = [0n, 0n];
  const state = newStatefulState(plan.repartitionTopic, 0, plan, NOW);
  /** Source partition q reads `events` and commits: what it forwarded, as the stateful task reads it. */
  const source = (q: number, events: readonly Record<string, unknown>[]): StreamRecord[] => {
    const outbox = new Outbox<unknown>();
    processSource(
      sources[q],
      // Keyed by event id, as a producer would key them by its entity.
      events.map((e) => eventRecord(e, { key: Buffer.from(String(e['event_id'])) })),
      outbox,
      sourceEnv,
      NOW,
    );
    upto[q] += BigInt(events.length);
    sealSource(sources[q], outbox, upto[q], counters);
    return recordsFor(outbox, plan.repartitionTopic, 0);
  };
  const stateful = (records: readonly StreamRecord[]): Outbox<EmittedRow> => {
    const outbox = new Outbox<EmittedRow>();
    processStateful(state, records, outbox, env, NOW);
    return outbox;
  };
  return { plan, env, state, source, stateful, sources, sourceEnv };
}

const rows = (outbox: Outbox<EmittedRow>, plan: Plan) =>
  outbox.of(plan.outputTopic).map((r) => JSON.parse(String(r.value)) as Record<string, unknown>);

describe('stateful task', () => {
  it('merges partials and emits a window once every source partition has passed its end', () => {
    const { plan, source, stateful } = pipeline();
    const first = stateful(source(0, [view('a', MIN + 1), view('b', MIN + 2), view('c', 3 * MIN)]));
    // Partition 1 has said nothing: the watermark is the minimum over both.
    expect(first.of(plan.outputTopic)).toHaveLength(0);
    const second = stateful(source(1, [view('d', MIN + 3), view('e', 3 * MIN + 1)]));
    expect(rows(second, plan)).toEqual([
      expect.objectContaining({
        window_start: MIN,
        window_end: 2 * MIN,
        page: '/home',
        value: 3,
        event_count: 3,
      }),
    ]);
    expect(second.of(plan.outputTopic)[0]?.key).toBe('{"window_start":60000,"page":"/home"}');
    expect(headerOf(second.of(plan.outputTopic)[0] ?? {}, HEADERS.aggregation)).toBe('views');
    expect(second.notes.map((n) => [n.key, n.retracted])).toEqual([
      ['{"window_start":60000,"page":"/home"}', false],
    ]);
  });

  it('sends a whole event that is late by its watermark to late.<type>, byte for byte, with its key', () => {
    const { plan, source, stateful, sources, sourceEnv, state } = pipeline();
    stateful(source(0, [view('a', 10 * MIN)]));
    stateful(source(1, [view('b', 10 * MIN)]));
    expect(state.engine.watermark).toBe(10 * MIN);
    // A new owner of source partition 0 that knows nothing of what was forwarded: whole.
    restoreSource(sources[0], { offset: 1n, metadata: null }, sourceEnv, NOW);
    const forwarded = source(0, [view('old', 2 * MIN)]);
    const whole = forwarded.find((r) => headerOf(r, HEADERS.kind) === 'event');
    const out = stateful(forwarded);
    const late = out.of(plan.lateTopic);
    expect(late).toHaveLength(1);
    expect(late[0]?.value).toEqual(whole?.value);
    expect(JSON.parse(String(late[0]?.value))).toMatchObject({ event_id: 'old' });
    // The event's own key, not the repartition topic's group key.
    expect(String(whole?.key)).toBe('["/home"]');
    expect(late[0]?.key).toEqual(Buffer.from('old'));
    expect(headerOf(late[0] ?? {}, HEADERS.aggregation)).toBe('views');
    expect(headerOf(late[0] ?? {}, HEADERS.watermark)).toBe(String(10 * MIN));
    expect(headerOf(late[0] ?? {}, HEADERS.reason)).toMatch(
      /^tumbling: the oldest window holding 120000 closed/,
    );
  });

  it('dead-letters a record with a bad source header or a malformed partial, and goes on', () => {
    const { source, stateful } = pipeline();
    const good = source(0, [view('a', MIN)]);
    const badSource: StreamRecord = {
      ...good[0],
      headers: { ...good[0].headers, [HEADERS.source]: '9' },
    };
    const badPartial: StreamRecord = { ...good[0], value: Buffer.from('{"not":"a partial"') };
    const out = stateful([badSource, badPartial, ...good]);
    expect(out.of(DLQ).map((r) => headerOf(r, HEADERS.reason))).toEqual([
      `bad ${HEADERS.source} header`,
      expect.stringMatching(/^malformed partial: /),
    ]);
    expect(out.of(DLQ)[1]?.value).toEqual(badPartial.value);
  });

  it('run-once: flushes every window once the input is complete, then judges anything new late', () => {
    const { plan, source, stateful, state, env } = pipeline({ complete: true });
    const out = stateful([
      ...source(0, [view('a', MIN)]),
      ...source(1, [view('b', 5 * MIN, '/cart')]),
    ]);
    expect(out.final).toBe(true);
    expect(rows(out, plan).map((r) => [r['page'], r['window_start']])).toEqual([
      ['/home', MIN],
      ['/cart', 5 * MIN],
    ]);
    expect(state.engine.watermark).toBe(Infinity);
    expect(flushIfComplete(state, () => new Outbox<EmittedRow>(), env)).toBe(false);
  });

  it('restores from its changelog the windows it held, and emits them as it would have', () => {
    const a = pipeline();
    a.stateful(a.source(0, [view('a', MIN), view('b', MIN + 1)]));
    a.stateful(a.source(1, [view('c', MIN + 2)]));
    const changelog = new Map<string, string | null>();
    for (const e of takeStatefulChangelog(a.state)) changelog.set(e.key, e.value);
    expect(takeStatefulChangelog(a.state)).toEqual([]); // taken once

    const restored: StatefulState = newStatefulState(a.plan.repartitionTopic, 0, a.plan, NOW);
    restoreStateful(restored, changelog, NOW);
    expect(restored.engine.watermark).toBe(a.state.engine.watermark);
    const b = pipeline();
    const out = new Outbox<EmittedRow>();
    processStateful(
      restored,
      [...b.source(0, [view('z', 3 * MIN)]), ...b.source(1, [view('y', 3 * MIN)])],
      out,
      b.env,
      NOW,
    );
    expect(rows(out, a.plan)).toEqual([
      expect.objectContaining({ window_start: MIN, value: 3, event_count: 3 }),
    ]);
  });
});
