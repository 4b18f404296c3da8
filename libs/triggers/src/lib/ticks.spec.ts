import { ManualClock, settle } from './manual-clock';
import { scheduleOf, TriggerSpecError } from './schedule';
import { ticks, type Tick, type TickGate } from './ticks';

const T0 = Date.UTC(2024, 0, 1, 0, 2, 0); // 00:02:00

/** Runs `ticks` in the background, doing `work` (in clock ms) per tick; records what happened. */
function run(
  spec: Parameters<typeof scheduleOf>[0],
  clock: ManualClock,
  options: { workMs?: number; gate?: TickGate } = {},
) {
  const controller = new AbortController();
  const fired: Tick[] = [];
  const missed: { count: number; first: number; last: number }[] = [];
  const standby: number[] = [];
  const done = (async () => {
    for await (const tick of ticks(scheduleOf(spec), {
      clock,
      signal: controller.signal,
      ...(options.gate === undefined ? {} : { gate: options.gate }),
      onMissed: (m) => missed.push(m),
      onStandby: (at) => standby.push(at),
    })) {
      fired.push(tick);
      if (options.workMs !== undefined) await clock.sleep(options.workMs, controller.signal);
    }
  })();
  return {
    fired,
    missed,
    standby,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

const iso = (ms: number) => new Date(ms).toISOString().slice(11, 19);

describe('ticks', () => {
  it('--every: fires at once, then at a fixed rate', async () => {
    const clock = new ManualClock(T0);
    const r = run({ kind: 'every', everyMs: 30_000 }, clock);
    await settle();
    await clock.advance(95_000);
    await r.stop();
    expect(r.fired.map((t) => iso(t.scheduledAt))).toEqual([
      '00:02:00',
      '00:02:30',
      '00:03:00',
      '00:03:30',
    ]);
    expect(r.fired.map((t) => t.number)).toEqual([1, 2, 3, 4]);
    expect(r.missed).toEqual([]);
  });

  it('--cron: fires at the expression times (UTC), not at start', async () => {
    const clock = new ManualClock(T0);
    const r = run({ kind: 'cron', expression: '*/5 * * * *' }, clock);
    await settle();
    await clock.advance(13 * 60_000);
    await r.stop();
    expect(r.fired.map((t) => iso(t.scheduledAt))).toEqual(['00:05:00', '00:10:00', '00:15:00']);
    expect(r.fired.every((t) => t.firedAt === t.scheduledAt)).toBe(true);
  });

  it('a tick missed while the previous one was still working is reported and not run', async () => {
    const clock = new ManualClock(T0);
    // 70 s of work per tick at a 30 s rate: ticks at +30 and +60 pass during the first one.
    const r = run({ kind: 'every', everyMs: 30_000 }, clock, { workMs: 70_000 });
    await settle();
    await clock.advance(100_000);
    await r.stop();
    expect(r.fired.map((t) => iso(t.scheduledAt))).toEqual(['00:02:00', '00:03:30']);
    expect(r.missed).toEqual([{ count: 2, first: T0 + 30_000, last: T0 + 60_000 }]);
  });

  it('a cron tick missed during slow work is not run twice', async () => {
    const clock = new ManualClock(T0);
    const r = run({ kind: 'cron', expression: '* * * * *' }, clock, { workMs: 90_000 });
    await settle();
    await clock.advance(5 * 60_000 - 1);
    await r.stop();
    // started on a cron time: 00:02 fires and works until 00:03:30, so 00:03 is missed; 00:04
    // fires, 00:05 is missed, 00:06 fires
    expect(r.fired.map((t) => iso(t.scheduledAt))).toEqual(['00:02:00', '00:04:00', '00:06:00']);
    expect(r.missed.map((m) => [m.count, iso(m.first)])).toEqual([
      [1, '00:03:00'],
      [1, '00:05:00'],
    ]);
  });

  it('with a gate, two replicas on one schedule fire each tick once between them', async () => {
    const clock = new ManualClock(T0);
    let holder: 'a' | 'b' | undefined;
    const gate = (me: 'a' | 'b'): TickGate => ({
      tryAcquire: async () => {
        holder ??= me;
        return holder === me;
      },
    });
    const a = run({ kind: 'every', everyMs: 10_000 }, clock, { gate: gate('a') });
    const b = run({ kind: 'every', everyMs: 10_000 }, clock, { gate: gate('b') });
    await settle();
    await clock.advance(45_000);
    expect(a.fired).toHaveLength(5);
    expect(b.fired).toHaveLength(0);
    expect(b.standby).toHaveLength(5);
    // a goes away: b takes over at its next tick
    await a.stop();
    holder = undefined;
    await clock.advance(20_000);
    await b.stop();
    expect(b.fired.map((t) => iso(t.scheduledAt))).toEqual(['00:02:50', '00:03:00']);
  });

  it('refuses a bad cron expression or interval with the reason', () => {
    expect(() => scheduleOf({ kind: 'cron', expression: '*/5 * *' })).toThrow(TriggerSpecError);
    expect(() => scheduleOf({ kind: 'every', everyMs: 0 })).toThrow(/positive/);
    expect(scheduleOf({ kind: 'every', everyMs: 30_000 }).description).toBe('every 30s');
  });
});
