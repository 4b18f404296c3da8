// A stateful task: one partition of an aggregation's repartition topic. It merges partials,
// judges whole events against its watermark (the minimum over source partitions), and emits
// windows, late events and dead letters. Pure: the runtime does the I/O and the changelog.
import type { AvroSerde } from '@platform/schema-registry';
import type { ChangelogEntry, Outbox, RecordHeaders, StreamRecord } from '@platform/messaging';
import { isSampledTraceparent } from '@platform/observability';
import {
  isLate,
  parsePartial,
  WindowEngine,
  type PartialAggregate,
  type ProcessResult,
  type WindowEvent,
} from '@platform/windowing';
import { changelogKeyKind, HEADERS, outputKey, sourcePartitionOf, TRACEPARENT } from './keys';
import type { Plan } from './plan';
import { resultToRecord, retractionToRecord, RecordMappingError } from './records';
import { header, lateReason, message, type Router } from './router';
import { SourceClock } from './source-clock';
import { linkHorizonMs, parseTraceLinks, TraceLinks } from './trace-links';
import { windowSpan } from './trace-spans';

/** A row as printed by `--console`. */
export interface EmittedRow {
  readonly aggregation: string;
  readonly key: string;
  readonly record: Readonly<Record<string, unknown>>;
  readonly retracted: boolean;
}

/** What the runner reports; the Nest shell turns it into Prometheus metrics. */
export interface RunnerMetrics {
  eventsProcessed(aggregation: string, n: number): void;
  lateEvents(aggregation: string, n: number): void;
  windowsEmitted(aggregation: string, n: number): void;
  transaction(seconds: number, ok: boolean): void;
}

export interface StatefulState {
  readonly kind: 'stateful';
  readonly topic: string;
  readonly partition: number;
  readonly plan: Plan;
  engine: WindowEngine;
  clock: SourceClock;
  /** When each source partition last sent a record here (its create time); null: none yet. */
  heardAt: (number | null)[];
  /** When the first record since the task started was sent: until then nothing is idle. */
  firstHeardAt: number | null;
  /** The latest of `heardAt`: the sources' own clock, which a backlog does not stretch. */
  lastHeardAt: number | null;
  /** The last batch reached the end of the partition (no backlog behind it). */
  caughtUp: boolean;
  /** Wall-clock time of the last batch. */
  lastBatchAt: number;
  /** Wall-clock time the task was restored: every source gets the timeout from there. */
  restoredAt: number;
  /** Sampled inputs of windows not emitted yet: an emitted window's span links them. */
  traces: TraceLinks;
}

/** What stateful tasks share. */
export interface StatefulEnv {
  readonly router: Router;
  /** Encodes output rows (their schemas registered). */
  readonly serde: Pick<AvroSerde, 'encode'>;
  /** `run` mode's idle timeout; null when windows never close on the wall clock. */
  readonly idleTimeoutMs: number | null;
  /** run-once: whether every source partition of the task reached its end offset. */
  readonly inputComplete: (state: StatefulState) => boolean;
  readonly metrics?: RunnerMetrics;
}

export function newStatefulState(
  topic: string,
  partition: number,
  plan: Plan,
  now: number,
): StatefulState {
  return {
    kind: 'stateful',
    topic,
    partition,
    plan,
    engine: new WindowEngine(plan.spec, { watermark: 'external' }),
    clock: new SourceClock(plan.sourcePartitions),
    heardAt: [],
    firstHeardAt: null,
    lastHeardAt: null,
    caughtUp: false,
    lastBatchAt: now,
    restoredAt: now,
    traces: new TraceLinks(),
  };
}

/** Rebuilds the engine and the source clock from the changelog (latest value per key). */
export function restoreStateful(
  state: StatefulState,
  changelog: ReadonlyMap<string, string | null>,
  now: number,
): void {
  const engineEntries: { key: string; value: unknown }[] = [];
  const clock = new SourceClock(state.plan.sourcePartitions);
  for (const [key, raw] of changelog) {
    const value: unknown = raw === null ? null : JSON.parse(raw);
    const kind = changelogKeyKind(key);
    if (kind === 'engine') engineEntries.push({ key, value });
    else if (kind === 'source') clock.restore(sourcePartitionOf(key), value);
  }
  state.engine = WindowEngine.fromEntries(state.plan.spec, engineEntries, {
    watermark: 'external',
  });
  state.clock = clock;
  state.heardAt = Array.from({ length: state.plan.sourcePartitions }, () => null);
  state.firstHeardAt = null;
  state.lastHeardAt = null;
  state.caughtUp = false;
  state.lastBatchAt = now;
  state.restoredAt = now;
}

/** The state's changes since the last call, as changelog entries. */
export function takeStatefulChangelog(state: StatefulState): ChangelogEntry[] {
  return [...state.engine.takeChangelog(), ...state.clock.takeChangelog()].map((entry) => ({
    key: entry.key,
    value: entry.value === null ? null : JSON.stringify(entry.value),
  }));
}

/** Merges partials, judges whole events, advances the watermark; outputs go to `outbox`. */
export function processStateful(
  state: StatefulState,
  records: readonly StreamRecord[],
  outbox: Outbox<EmittedRow>,
  env: StatefulEnv,
  now: number,
): void {
  const { spec } = state.plan;
  const partials: PartialAggregate[] = [];
  const pending: WindowEvent[] = [];
  const inputs = new Map<object, StreamRecord>();
  let late = 0;
  let combined = 0;
  for (const m of records) {
    const kind = header(m.headers, HEADERS.kind);
    const source = Number(header(m.headers, HEADERS.source));
    if (!Number.isSafeInteger(source) || source < 0 || source >= state.plan.sourcePartitions) {
      env.router.deadLetter(outbox, state, m, `bad ${HEADERS.source} header`);
      continue;
    }
    // When the source sent it (its create time), so the hop to here does not count as input.
    const sentAt = Number(m.timestamp);
    const heard = Number.isFinite(sentAt) ? Math.min(sentAt, now) : now;
    state.heardAt[source] = Math.max(state.heardAt[source] ?? heard, heard);
    state.firstHeardAt ??= heard;
    state.lastHeardAt = Math.max(state.lastHeardAt ?? heard, heard);
    if (kind === 'progress') {
      const max = header(m.headers, HEADERS.maxTime);
      state.clock.progress(
        source,
        max === undefined ? null : Number(max),
        BigInt(header(m.headers, HEADERS.upto) ?? '0'),
      );
      continue;
    }
    if (kind === 'partial') {
      try {
        // A pack of partials (a JSON array), or one partial.
        const parsed: unknown = JSON.parse(m.value?.toString() ?? 'null');
        const pack = (Array.isArray(parsed) ? parsed : [parsed]).map((p) =>
          parsePartial(p, [spec.type], spec.groupBy.length),
        );
        for (const partial of pack) {
          partials.push(partial);
          inputs.set(partial, m);
          combined += partial.eventCount;
        }
        const links = header(m.headers, HEADERS.trace);
        if (links !== undefined) for (const l of parseTraceLinks(links)) state.traces.add(l);
      } catch (error) {
        env.router.deadLetter(outbox, state, m, `malformed partial: ${message(error)}`);
      }
      continue;
    }
    const event = env.router.decode(outbox, state, state.plan.decode, m);
    if (event === null) continue;
    const t = event.timestamp;
    if (state.engine.watermark === Infinity) {
      // After a run-once flush the windows are final: anything new is late.
      late++;
      env.router.late(outbox, state.plan, m, 'closed: the input ended (run-once)', Infinity);
      continue;
    }
    // What its source partition had forwarded before it counts, as if every event had come.
    const before = header(m.headers, HEADERS.maxTime);
    if (before !== undefined) state.clock.observe(source, Number(before));
    const w = watermarkOf(state, now, env.idleTimeoutMs);
    state.clock.observe(source, t);
    if (isLate(spec.window, t, w)) {
      late++;
      env.router.late(outbox, state.plan, m, lateReason(spec, t, w), w);
      continue;
    }
    pending.push(event);
    inputs.set(event, m);
    const traceparent = header(m.headers, TRACEPARENT);
    if (isSampledTraceparent(traceparent) && m.key !== null) {
      state.traces.add({ group: m.key.toString(), time: t, traceparent: traceparent as string });
    }
  }
  const results: ProcessResult[] = [];
  if (partials.length > 0) results.push(state.engine.mergePartials(partials));
  if (pending.length > 0) results.push(state.engine.process(pending));
  const w = watermarkOf(state, now, env.idleTimeoutMs);
  if (w > state.engine.watermark) results.push(state.engine.advanceWatermark(w));
  if (completeForRunOnce(state, env)) {
    results.push(state.engine.flush());
    outbox.final = true;
  }
  late += emitResults(outbox, state, results, env, inputs);
  env.metrics?.eventsProcessed(spec.name, pending.length + combined);
  if (late > 0) env.metrics?.lateEvents(spec.name, late);
}

/** Closes the windows the wall clock closed (`run` mode's idle timeout); false when none moved. */
export function advanceIdle(
  state: StatefulState,
  outbox: () => Outbox<EmittedRow>,
  env: StatefulEnv,
  now: number,
): boolean {
  const w = watermarkOf(state, now, env.idleTimeoutMs);
  if (w <= state.engine.watermark) return false;
  emitResults(outbox(), state, [state.engine.advanceWatermark(w)], env);
  return true;
}

/** run-once: emits every window once the input is complete; false when it is not (yet). */
export function flushIfComplete(
  state: StatefulState,
  outbox: () => Outbox<EmittedRow>,
  env: StatefulEnv,
): boolean {
  if (!completeForRunOnce(state, env)) return false;
  const box = outbox();
  emitResults(box, state, [state.engine.flush()], env);
  box.final = true;
  return true;
}

const completeForRunOnce = (state: StatefulState, env: StatefulEnv): boolean =>
  state.engine.watermark !== Infinity && env.inputComplete(state);

/**
 * Turns engine results into output records, late events and dead letters; returns the
 * events the engine found late. `inputs` maps the events and partials given to the engine
 * back to the records they came from, so that late and dead letters carry the original bytes.
 */
function emitResults(
  outbox: Outbox<EmittedRow>,
  state: StatefulState,
  results: readonly ProcessResult[],
  env: StatefulEnv,
  inputs: ReadonlyMap<object, StreamRecord> = new Map(),
): number {
  const { plan } = state;
  let late = 0;
  let emitted = 0;
  const recordOf = (item: object): StreamRecord => {
    const record = inputs.get(item);
    if (record === undefined) throw new Error('an engine result names an input it was not given');
    return record;
  };
  for (const result of results) {
    for (const gone of result.retracted) {
      const record = retractionToRecord(plan.spec, gone);
      const key = outputKey(plan.spec, gone.windowStart, gone.group);
      outbox.push(plan.outputTopic, {
        key,
        value: env.serde.encode(plan.schemaId, plan.schemaType, record),
        headers: { [HEADERS.retracted]: 'true', [HEADERS.aggregation]: plan.spec.name },
      });
      outbox.notes.push({ aggregation: plan.spec.name, key, record, retracted: true });
    }
    for (const row of result.updates) {
      const key = outputKey(plan.spec, row.windowStart, row.group);
      let record;
      try {
        record = resultToRecord(plan.spec, row);
      } catch (error) {
        if (!(error instanceof RecordMappingError)) throw error;
        env.router.deadLetter(
          outbox,
          state,
          { offset: '-1', key: Buffer.from(key), value: Buffer.from(JSON.stringify(row)) },
          error.message,
        );
        continue;
      }
      const headers: RecordHeaders = { [HEADERS.aggregation]: plan.spec.name };
      if (state.traces.size > 0) windowSpan(plan, state.traces, row, headers);
      outbox.push(plan.outputTopic, {
        key,
        value: env.serde.encode(plan.schemaId, plan.schemaType, record),
        headers,
      });
      outbox.notes.push({ aggregation: plan.spec.name, key, record, retracted: false });
      emitted++;
    }
    for (const l of result.late) {
      late++;
      env.router.late(outbox, plan, recordOf(l.event), l.reason, l.watermark);
    }
    for (const bad of result.invalid) {
      env.router.deadLetter(outbox, state, recordOf(bad.event), bad.reason);
    }
    for (const refused of result.refused) {
      // The record is the pack that held it: its other partials were merged.
      env.router.deadLetter(
        outbox,
        state,
        recordOf(refused.partial),
        `${refused.reason}; partial ${partialJson(refused.partial)}`,
      );
    }
  }
  if (emitted > 0) env.metrics?.windowsEmitted(plan.spec.name, emitted);
  if (state.traces.size > 0) {
    state.traces.forgetBefore(state.engine.watermark - linkHorizonMs(plan.spec.window));
  }
  return late;
}

/**
 * A stateful task's watermark: the minimum over its source partitions (see SourceClock).
 * With an idle timeout:
 * - a partition that sent nothing for that long while another sent is left out; both are
 *   judged by when the sources sent (create times), so a backlog here (after a restart, or
 *   when this task lags) makes no source look idle;
 * - when none has sent for that long by the wall clock and this task has read everything
 *   there is, the watermark follows the wall clock minus out-of-orderness.
 * Never moves back.
 */
export function watermarkOf(
  state: StatefulState,
  now: number,
  idleTimeoutMs: number | null,
): number {
  const ooo = state.plan.spec.window.outOfOrdernessMs;
  // Restored with sources already heard from: they count as heard at the restore, or an
  // input that ended before a restart would never close its last windows.
  const restored = state.clock.heardAny ? state.restoredAt : null;
  const since = state.firstHeardAt ?? restored;
  const last = state.lastHeardAt ?? restored;
  if (idleTimeoutMs === null || since === null || last === null) {
    return state.clock.watermark(ooo);
  }
  // Nothing fetched for a while: no backlog either, even if an aborted transaction left
  // the last batch short of the end.
  const drained = state.caughtUp || now - state.lastBatchAt >= idleTimeoutMs;
  if (drained && now - Math.max(last, state.restoredAt) >= idleTimeoutMs) {
    return Math.max(state.clock.watermark(ooo), now - ooo, state.engine.watermark);
  }
  // A partition not heard from yet counts from the first record of any partition, and none
  // counts from before the task was restored: sources resume with it after a restart.
  const idle = Array.from(
    { length: state.plan.sourcePartitions },
    (_, q) => last - Math.max(state.heardAt[q] ?? since, state.restoredAt) >= idleTimeoutMs,
  );
  const w = state.clock.activeWatermark(ooo, idle) ?? state.clock.watermark(ooo);
  return Math.max(w, state.engine.watermark);
}

/** Names a partial in a reason header: its bounds and group (its state may be large). */
const partialJson = (partial: PartialAggregate): string =>
  JSON.stringify({ start: partial.start, end: partial.end, group: partial.group });
