import { DLQ_HEADERS, Outbox } from '@platform/messaging';
import { HEADERS } from './keys';
import { Router } from './router';
import {
  newSourceCounters,
  newSourceState,
  processSource,
  closeSource,
  forwardsAllWhole,
  restoreSource,
  sealSource,
  type SourceEnv,
} from './source-task';
import {
  countSpec,
  DLQ,
  eventRecord,
  headerOf,
  jsonDecode,
  SOURCE_TOPIC,
  testPlan,
  view,
} from './testing/step-fixtures';

const NOW = 1_700_000_000_000;
const MIN = 60_000;

function setup(
  options: { readonly idleTimeoutMs?: number | null; readonly partitions?: number } = {},
) {
  const plan = testPlan(countSpec(), { partitions: options.partitions ?? 2 });
  const counters = newSourceCounters();
  const env: SourceEnv = {
    router: new Router(DLQ, () => new Date(NOW)),
    idleTimeoutMs: options.idleTimeoutMs ?? null,
    counters,
  };
  const state = newSourceState(SOURCE_TOPIC, 3, [plan], jsonDecode);
  restoreSource(state, { offset: 0n, metadata: null }, env, NOW);
  return { plan, env, counters, state };
}

describe('source task', () => {
  it('folds on-time events into one partial per group and window, then tells every repartition partition how far it came', () => {
    const { plan, env, counters, state } = setup();
    const outbox = new Outbox<unknown>();
    processSource(
      state,
      [
        eventRecord(view('a', 10 * MIN + 1)),
        eventRecord(view('b', 10 * MIN + 2)),
        eventRecord(view('c', 10 * MIN + 3, '/cart')),
      ],
      outbox,
      env,
      NOW,
    );
    expect(outbox.messages.size).toBe(0); // nothing leaves before the transaction starts
    const metadata = sealSource(state, outbox, 42n, counters);

    const records = outbox.of(plan.repartitionTopic);
    const packs = records.filter((r) => headerOf(r, HEADERS.kind) === 'partial');
    const partials = packs.flatMap((r) => JSON.parse(String(r.value)) as { eventCount?: number }[]);
    expect(partials).toHaveLength(2);
    expect(counters).toMatchObject({ partials: 2, packs: packs.length, wholeEvents: 0 });
    const progress = records.filter((r) => headerOf(r, HEADERS.kind) === 'progress');
    expect(
      progress.map((r) => [r.partition, headerOf(r, HEADERS.upto), headerOf(r, HEADERS.maxTime)]),
    ).toEqual([
      [0, '42', String(10 * MIN + 3)],
      [1, '42', String(10 * MIN + 3)],
    ]);
    // Partials go before the progress record of their partition.
    expect(records.indexOf(packs[0])).toBeLessThan(records.indexOf(progress[0]));
    expect(headerOf(progress[0], HEADERS.source)).toBe('3');
    expect(JSON.parse(metadata ?? '')).toEqual({ forwardedMax: 10 * MIN + 3 });
  });

  it('forwards whole, with its original bytes, an event whose window may already be closed downstream', () => {
    const { plan, env, counters, state } = setup();
    // The previous owner had forwarded up to minute 20.
    restoreSource(
      state,
      { offset: 100n, metadata: JSON.stringify({ forwardedMax: 20 * MIN }) },
      env,
      NOW,
    );
    const late = eventRecord(view('old', 5 * MIN));
    const onTime = eventRecord(view('new', 20 * MIN + 5));
    const outbox = new Outbox<unknown>();
    processSource(state, [late, onTime], outbox, env, NOW);
    sealSource(state, outbox, 102n, counters);

    const whole = outbox
      .of(plan.repartitionTopic)
      .filter((r) => headerOf(r, HEADERS.kind) === 'event');
    expect(whole).toHaveLength(1);
    expect(whole[0]?.value).toEqual(late.value);
    expect(whole[0]?.key).toBe('["/home"]');
    // Judged downstream as if every event before it had come.
    expect(headerOf(whole[0] ?? {}, HEADERS.maxTime)).toBe(String(20 * MIN));
    expect(counters.wholeEvents).toBe(1);
    expect(counters.partials).toBe(1);
  });

  it('forwards every event whole when the previous owner left no forwarded maximum', () => {
    const { plan, env, counters, state } = setup();
    expect(restoreSource(state, { offset: 100n, metadata: null }, env, NOW)).toBe(false);
    const outbox = new Outbox<unknown>();
    processSource(state, [eventRecord(view('a', 50 * MIN))], outbox, env, NOW);
    sealSource(state, outbox, 101n, counters);
    expect(counters).toMatchObject({ partials: 0, wholeEvents: 1 });
    expect(
      outbox.of(plan.repartitionTopic).some((r) => headerOf(r, HEADERS.kind) === 'partial'),
    ).toBe(false);
    // Still unknown for the next owner: the events it forwarded say nothing of those before.
    const next = setup();
    const metadata = sealSource(state, new Outbox<unknown>(), 101n, counters);
    expect(restoreSource(next.state, { offset: 101n, metadata }, next.env, NOW)).toBe(true);
    expect(forwardsAllWhole(next.state)).toBe(true);
  });

  it('once closed by a run-once, forwards every later event whole, and so does every later owner', () => {
    const { plan, env, counters, state } = setup();
    processSource(state, [eventRecord(view('a', 10 * MIN))], new Outbox<unknown>(), env, NOW);
    sealSource(state, new Outbox<unknown>(), 1n, counters);
    closeSource(state);
    // The closing transaction commits the same offset again, with the bound.
    const metadata = sealSource(state, new Outbox<unknown>(), 1n, counters);
    expect(JSON.parse(metadata ?? '')).toEqual({ forwardedMax: 'Infinity' });

    const later = setup();
    expect(restoreSource(later.state, { offset: 1n, metadata }, later.env, NOW)).toBe(true);
    const outbox = new Outbox<unknown>();
    const event = eventRecord(view('b', 90 * MIN));
    processSource(later.state, [event], outbox, later.env, NOW);
    expect(sealSource(later.state, outbox, 2n, later.counters)).toBe(metadata);
    const records = outbox.of(plan.repartitionTopic);
    expect(records.filter((r) => headerOf(r, HEADERS.kind) === 'partial')).toEqual([]);
    const whole = records.filter((r) => headerOf(r, HEADERS.kind) === 'event');
    expect(whole.map((r) => r.value)).toEqual([event.value]);
    // No bound to judge it by: downstream judges it by its own watermark.
    expect(headerOf(whole[0] ?? {}, HEADERS.maxTime)).toBeUndefined();
  });

  it('sends what it cannot decode to the dead-letter topic, with the reason and the original bytes', () => {
    const { env, counters, state } = setup();
    const outbox = new Outbox<unknown>();
    const garbage = eventRecord(Buffer.from('not json'));
    const noTime = eventRecord({ event_id: 'x', page: '/' });
    processSource(state, [garbage, noTime, eventRecord(null)], outbox, env, NOW);
    sealSource(state, outbox, 3n, counters);
    const dead = outbox.of(DLQ);
    expect(dead.map((r) => headerOf(r, HEADERS.reason))).toEqual([
      expect.stringMatching(/^undecodable: /),
      'timestamp must be a finite number of epoch milliseconds',
      'null value',
    ]);
    expect(dead[0]?.value).toEqual(garbage.value);
    expect(headerOf(dead[0] ?? {}, DLQ_HEADERS.sourceTopic)).toBe(SOURCE_TOPIC);
    expect(headerOf(dead[0] ?? {}, DLQ_HEADERS.sourcePartition)).toBe('3');
    expect(counters.partials).toBe(0);
  });

  it('with an idle timeout, forwards whole what is older than the wall clock plus a margin after resuming', () => {
    const { plan, env, counters, state } = setup({ idleTimeoutMs: 5_000 });
    const outbox = new Outbox<unknown>();
    // The downstream watermark may have followed the wall clock: an event at NOW is not safe.
    processSource(state, [eventRecord(view('a', NOW))], outbox, env, NOW);
    sealSource(state, outbox, 1n, counters);
    expect(counters).toMatchObject({ partials: 0, wholeEvents: 1 });
    expect(
      outbox.of(plan.repartitionTopic).filter((r) => headerOf(r, HEADERS.kind) === 'event'),
    ).toHaveLength(1);
  });

  it('commits no offset and adds nothing when the transaction carries no input', () => {
    const { env, counters, state } = setup();
    const outbox = new Outbox<unknown>();
    processSource(state, [eventRecord(view('a', MIN))], outbox, env, NOW);
    expect(sealSource(state, outbox, null, counters)).toBeNull();
    expect(outbox.messages.size).toBe(0);
  });
});
