// A source task: one partition of `events.<type>`. It folds each batch into partials per
// (aggregation, group, pane), forwards the events that may be late downstream whole, and
// tells every repartition partition how far it has come. Pure: the runtime does the I/O.
import type { CommittedOffset, Outbox, RecordHeaders, StreamRecord } from '@platform/messaging';
import { serializePartial, type Combiner } from '@platform/windowing';
import { HEADERS, partitionFor, repartitionKey, TRACEPARENT } from './keys';
import { MAX_PACK_BYTES, packPartials } from './partial-packs';
import { combinerOf, type EventDecoder, type Plan } from './plan';
import type { Router } from './router';
import { combinable, restoredForwardedMax, sourceOffsetMetadata } from './routing';
import { sourceSpan } from './trace-spans';
import { encodeTraceLinks, type TraceLink } from './trace-links';

/**
 * How far ahead of its own wall clock a source task assumes a downstream clock may be
 * (instances' clocks differ): see `SourceState.routingFloor`.
 */
const IDLE_CLOCK_MARGIN_MS = 60_000;

/** An event a source task forwards whole: it may be late downstream. */
interface RawForward {
  readonly plan: Plan;
  readonly key: string;
  readonly value: Buffer;
  /** The event's own record key, for `late.<type>`. */
  readonly eventKey: Buffer | null;
  /** The largest event time its partition had forwarded before it. */
  readonly forwardedMax: number;
  /** `traceparent` of the source span, for an event of a sampled trace. */
  readonly traceparent?: string;
}

/** A sampled event a source task combined, bound for one repartition partition of one plan. */
interface CombinedTrace {
  readonly plan: Plan;
  readonly partition: number;
  readonly link: TraceLink;
}

export interface SourceState {
  readonly kind: 'source';
  readonly topic: string;
  readonly partition: number;
  readonly plans: readonly Plan[];
  /** Decodes the fields that any of `plans` reads. */
  readonly decode: EventDecoder;
  /** One per plan: the partials since the last transaction. */
  readonly combiners: readonly Combiner[];
  /** The largest event time this partition has forwarded (see `combinable`). */
  forwardedMax: number;
  /** Events to forward whole in the next transaction, after the partials. */
  raw: RawForward[];
  /** Sampled events combined since the last transaction: their traces ride on the packs. */
  traced: CombinedTrace[];
  /** Largest event time since the last transaction. */
  batchMax: number | null;
  /**
   * With an idle timeout, downstream watermarks may follow the wall clock, past what this
   * partition forwarded: events older than this floor (the wall clock when the task started
   * or resumed after idling, plus a margin) are forwarded whole rather than combined.
   */
  routingFloor: number;
  lastBatchAt: number;
}

/** What source tasks share: the router, the idle timeout of `run` mode, and counters. */
export interface SourceEnv {
  readonly router: Router;
  /** `run` mode's idle timeout; null when windows never close on the wall clock. */
  readonly idleTimeoutMs: number | null;
  readonly counters: SourceCounters;
}

export interface SourceCounters {
  partials: number;
  packs: number;
  wholeEvents: number;
  readonly partialsByAggregation: Record<string, number>;
}

/** Counters at zero, for one runner (or one test). */
export function newSourceCounters(): SourceCounters {
  return { partials: 0, packs: 0, wholeEvents: 0, partialsByAggregation: {} };
}

export function newSourceState(
  topic: string,
  partition: number,
  plans: readonly Plan[],
  decode: EventDecoder,
): SourceState {
  return {
    kind: 'source',
    topic,
    partition,
    plans,
    decode,
    combiners: plans.map(combinerOf),
    forwardedMax: -Infinity,
    raw: [],
    traced: [],
    batchMax: null,
    routingFloor: -Infinity,
    lastBatchAt: 0,
  };
}

/** The routing floor of a source task that starts or resumes at `now` (see SourceState). */
export function idleFloor(idleTimeoutMs: number | null, now: number): number {
  return idleTimeoutMs === null ? -Infinity : now + IDLE_CLOCK_MARGIN_MS;
}

/**
 * Starts again where the partition's previous owner committed: nothing pending, and the
 * forwarded maximum it committed with its offset. Returns false when that maximum is
 * unknown (every event of the partition is then forwarded whole, which is always exact).
 */
export function restoreSource(
  state: SourceState,
  committed: CommittedOffset,
  env: SourceEnv,
  now: number,
): boolean {
  const forwardedMax = restoredForwardedMax(committed.offset, committed.metadata);
  state.forwardedMax = forwardedMax ?? Infinity;
  for (const combiner of state.combiners) combiner.drain();
  state.raw = [];
  state.traced = [];
  state.batchMax = null;
  state.lastBatchAt = now;
  state.routingFloor = idleFloor(env.idleTimeoutMs, now);
  return forwardedMax !== null;
}

/**
 * A run-once that has read the partition to its end closes it: its final flush closes every
 * window of the app id for good, so every later event is late, and it must reach the stage
 * that sends late events to `late.<type>` whole, not folded into a partial that stage could
 * only refuse. The next transaction commits that bound with the offset, for later runs.
 */
export function closeSource(state: SourceState): void {
  state.forwardedMax = Infinity;
}

/** Whether every event of the partition is forwarded whole (closed, or its bound unknown). */
export function forwardsAllWhole(state: SourceState): boolean {
  return state.forwardedMax === Infinity;
}

/** Decodes and routes a batch: into the combiners, the whole-event list, or a dead letter. */
export function processSource(
  state: SourceState,
  records: readonly StreamRecord[],
  outbox: Outbox<unknown>,
  env: SourceEnv,
  now: number,
): void {
  const idle = env.idleTimeoutMs;
  if (idle !== null && now - state.lastBatchAt >= idle) {
    state.routingFloor = Math.max(state.routingFloor, idleFloor(idle, now));
  }
  state.lastBatchAt = now;
  let forwardedMax = state.forwardedMax;
  let batchMax = state.batchMax;
  for (const m of records) {
    const event = env.router.decode(outbox, state, state.decode, m);
    if (event === null) continue;
    const value = m.value as Buffer; // not null: decoded
    const t = event.timestamp;
    const traceparent = sourceSpan(state, m);
    for (let i = 0; i < state.plans.length; i++) {
      const plan = state.plans[i];
      if (combinable(plan.spec.window, t, Math.max(forwardedMax, state.routingFloor))) {
        state.combiners[i].add(event);
        if (traceparent !== undefined) {
          const group = repartitionKey(plan.spec, event);
          const partition = partitionFor(group, plan.partitions);
          state.traced.push({ plan, partition, link: { group, time: t, traceparent } });
        }
      } else {
        const key = repartitionKey(plan.spec, event);
        state.raw.push({ plan, key, value, eventKey: m.key, forwardedMax, traceparent });
      }
    }
    if (t > forwardedMax) forwardedMax = t;
    if (batchMax === null || t > batchMax) batchMax = t;
  }
  state.forwardedMax = forwardedMax;
  state.batchMax = batchMax;
}

/**
 * What a source task adds to its transaction, in this order per repartition partition:
 * - the partials: downstream merges them while this partition's clock still stands where
 *   the previous transaction left it, below every event they hold (see `combinable`);
 * - the events that might be late downstream, whole, each with the largest event time its
 *   partition had forwarded before it: downstream judges it as if every event had come;
 * - a progress record to every repartition partition (when the transaction commits an
 *   offset), so that its watermark moves even if nothing else went there.
 * Returns the metadata committed with the offset: the forwarded maximum, for the next owner.
 */
export function sealSource(
  state: SourceState,
  outbox: Outbox<unknown>,
  upto: bigint | null,
  counters: SourceCounters,
): string | null {
  if (upto === null) return null;
  const source = String(state.partition);
  state.plans.forEach((plan, i) => {
    // The partials bound for one repartition partition travel in a few records (packs):
    // fewer records to encode, send, fetch and decode than one per partial.
    const byPartition = new Map<number, string[]>();
    const drained = state.combiners[i].drain();
    counters.partials += drained.length;
    counters.partialsByAggregation[plan.spec.name] =
      (counters.partialsByAggregation[plan.spec.name] ?? 0) + drained.length;
    for (const partial of drained) {
      const r = partitionFor(partial.groupKey, plan.partitions);
      let list = byPartition.get(r);
      if (list === undefined) byPartition.set(r, (list = []));
      list.push(JSON.stringify(serializePartial(partial)));
    }
    for (const [partition, partials] of byPartition) {
      // On the first pack only: the stateful stage keeps them by group and time, not by pack.
      let links = state.traced.filter((c) => c.plan === plan && c.partition === partition);
      for (const value of packPartials(partials, MAX_PACK_BYTES)) {
        counters.packs++;
        const headers: RecordHeaders = { [HEADERS.kind]: 'partial', [HEADERS.source]: source };
        if (links.length > 0) {
          headers[HEADERS.trace] = encodeTraceLinks(links.map((c) => c.link));
          links = [];
        }
        outbox.push(plan.repartitionTopic, { key: null, value, partition, headers });
      }
    }
  });
  state.traced = [];
  for (const r of state.raw) {
    const headers: RecordHeaders = { [HEADERS.kind]: 'event', [HEADERS.source]: source };
    if (Number.isFinite(r.forwardedMax)) headers[HEADERS.maxTime] = String(r.forwardedMax);
    if (r.traceparent !== undefined) headers[TRACEPARENT] = r.traceparent;
    if (r.eventKey !== null) headers[HEADERS.eventKey] = r.eventKey;
    outbox.push(r.plan.repartitionTopic, {
      key: r.key,
      value: r.value,
      partition: partitionFor(r.key, r.plan.partitions),
      headers,
    });
  }
  counters.wholeEvents += state.raw.length;
  state.raw = [];
  for (const plan of state.plans) {
    for (let r = 0; r < plan.partitions; r++) {
      const headers: RecordHeaders = {
        [HEADERS.kind]: 'progress',
        [HEADERS.source]: source,
        [HEADERS.upto]: upto.toString(),
      };
      if (state.batchMax !== null) headers[HEADERS.maxTime] = String(state.batchMax);
      outbox.push(plan.repartitionTopic, { key: null, value: null, partition: r, headers });
    }
  }
  state.batchMax = null;
  return sourceOffsetMetadata(state.forwardedMax);
}
