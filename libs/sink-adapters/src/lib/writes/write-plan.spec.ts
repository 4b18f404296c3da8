import { MODEL as model } from '../testing/fixtures';
import { RETRACTED_HEADER, planWrites, type SinkRecord } from './write-plan';
import { tableBindings } from './table-bindings';

const prefixes = { events: 'ev', aggregates: 'ag', dlq: 'dlq', late: 'late', subscriptions: 's' };
const bindings = tableBindings(model, prefixes, ['events', 'aggregates']);

let offset = 0;
function rec(topic: string, value: unknown, headers: Record<string, string> = {}): SinkRecord {
  return { topic, partition: 0, offset: String(offset++), value, headers };
}
const agg = (start: number, version: number, value: number, retracted = false) =>
  rec(
    'ag.page_views_per_minute',
    {
      window_start: start,
      window_end: start + 60_000,
      device_type: 'mobile',
      value,
      version,
      event_count: value,
    },
    retracted ? { [RETRACTED_HEADER]: 'true' } : {},
  );

describe(planWrites.name, () => {
  it('binds every event type and aggregation of the contract to its table', () => {
    expect([...bindings.values()].map((b) => `${b.topic}→${b.table}`)).toEqual(
      expect.arrayContaining([
        'ev.page_view→events_page_view',
        'ag.page_views_per_minute→agg_page_views_per_minute',
      ]),
    );
  });

  it('binds only the streams asked for (SINK_WRITER_STREAMS=aggregates: no event topic)', () => {
    const aggregatesOnly = [...tableBindings(model, prefixes, ['aggregates']).values()];
    expect(aggregatesOnly.map((b) => b.stream)).toEqual(model.aggregations.map(() => 'aggregates'));
    expect(aggregatesOnly.map((b) => b.topic)).toEqual(
      model.aggregations.map((a) => `ag.${a.name}`),
    );
  });

  it('writes an event id once per flush and refuses unknown topics and key-less values', () => {
    const e = { event_id: 'e1', timestamp: 1, user_id: 'u' };
    const { plans, failures } = planWrites(
      [
        rec('ev.page_view', e),
        rec('ev.page_view', e),
        rec('ev.nope', e),
        rec('ev.page_view', { x: 1 }),
      ],
      bindings,
    );
    expect(plans[0]?.upserts.map((u) => u.row['event_id'])).toEqual(['e1']);
    expect(plans[0]?.superseded).toHaveLength(1);
    expect(failures.map((f) => f.error.code)).toEqual(['UNKNOWN_TOPIC', 'MISSING_KEY']);
  });

  it('keeps the highest version of a window, whatever the arrival order', () => {
    const { plans } = planWrites([agg(0, 2, 20), agg(0, 3, 30), agg(0, 1, 10)], bindings);
    expect(plans[0]?.upserts.map((u) => u.row['version'])).toEqual([3]);
    expect(plans[0]?.deletes).toEqual([]);
  });

  it('applies a retraction after the upserts before it and before the upserts after it', () => {
    const upsertThenRetract = planWrites([agg(0, 1, 10), agg(0, 1, 10, true)], bindings).plans[0];
    expect(upsertThenRetract?.upserts).toEqual([]);
    expect(upsertThenRetract?.deletes.map((d) => d.row['version'])).toEqual([1]);

    const retractThenUpsert = planWrites([agg(0, 1, 10, true), agg(0, 2, 25)], bindings).plans[0];
    expect(retractThenUpsert?.deletes).toHaveLength(1);
    expect(retractThenUpsert?.upserts.map((u) => u.row['value'])).toEqual([25]);
  });

  it('maps seed 002 nested window fields onto window_start and window_end', () => {
    const nested = rec('ag.page_views_per_minute', {
      window: { start: 0, end: 60_000 },
      device_type: 'mobile',
      value: 1,
      version: 1,
      event_count: 1,
    });
    const row = planWrites([nested], bindings).plans[0]?.upserts[0]?.row;
    expect(row).toMatchObject({ window_start: 0, window_end: 60_000 });
  });
});
