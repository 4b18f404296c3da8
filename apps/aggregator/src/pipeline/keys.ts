// Keys and partitions: pure, so every instance computes the same ones.
import type { AggregationSpec, TopicSpec } from '@platform/contracts';
import { RESTORE_MARKER_KEY } from '@platform/messaging';
import { canonicalJson, toJsonValue, type JsonValue } from '@platform/windowing';

/** Headers of the internal repartition records. */
export const HEADERS = {
  /** `event` (value = the original Avro bytes) or `progress` (watermark and offset of one source partition). */
  kind: 'aggregator.kind',
  /** The input partition of `events.<type>` the record comes from. */
  source: 'aggregator.source',
  /** On an `event`: its record key on `events.<type>` (absent when it had none). */
  eventKey: 'aggregator.event-key',
  /** On `progress`: the largest event time of the source batch (absent when it had none). */
  maxTime: 'aggregator.max-time',
  /** On `progress`: the source offset up to which (exclusive) everything has been forwarded. */
  upto: 'aggregator.upto',
  /** On `aggregates.*`: this record retracts the window it names (a merged session). */
  retracted: 'aggregate.retracted',
  /** On `late.*` and `dlq.aggregator`: why. */
  reason: 'aggregator.reason',
  aggregation: 'aggregator.aggregation',
  /** On a pack of partials: the traces of its sampled events (see trace-links.ts). */
  trace: 'aggregator.trace',
  watermark: 'aggregator.watermark',
} as const;

/** W3C trace context header, as the gateway and the sink writer read it. */
export const TRACEPARENT = 'traceparent';

/** Changelog key of a source partition's clock (`src/<partition>`). */
export const sourceClockKey = (partition: number): string => `src/${partition}`;

export type ChangelogKeyKind = 'engine' | 'source' | 'marker' | 'unknown';

/** What a changelog key holds: engine state (`clock`, `w/…`), a source clock or the marker. */
export function changelogKeyKind(key: string): ChangelogKeyKind {
  if (key === 'clock' || key.startsWith('w/')) return 'engine';
  if (/^src\/\d+$/.test(key)) return 'source';
  if (key === RESTORE_MARKER_KEY) return 'marker';
  return 'unknown';
}

/** The partition number in a `src/<partition>` key. */
export function sourcePartitionOf(key: string): number {
  return Number(key.slice(4));
}

/** The group-by values of an event, in `groupBy` order (absent → null). */
export function groupValues(
  spec: AggregationSpec,
  event: Readonly<Record<string, unknown>>,
): JsonValue[] {
  return spec.groupBy.map((field) => toJsonValue(event[field] ?? null));
}

/** The repartition key: canonical JSON of the group-by values (`[]` without group-by). */
export function repartitionKey(
  spec: AggregationSpec,
  event: Readonly<Record<string, unknown>>,
): string {
  return canonicalJson(groupValues(spec, event));
}

/**
 * The Kafka key of an aggregate row: window start plus group, as JSON with the fields in a
 * fixed order (`{"window_start":…,"device_type":"mobile"}`). A grown session keeps its start
 * and so its key: the retraction and the new row land in the same partition, in order.
 */
export function outputKey(
  spec: AggregationSpec,
  windowStart: number,
  group: Readonly<Record<string, JsonValue>>,
): string {
  const fields: string[] = [`"window_start":${JSON.stringify(windowStart)}`];
  for (const name of spec.groupBy) {
    fields.push(`${JSON.stringify(name)}:${canonicalJson(group[name] ?? null)}`);
  }
  return `{${fields.join(',')}}`;
}

/** FNV-1a (32 bit) of the UTF-8 bytes, modulo `partitions`: stable across processes and versions. */
export function partitionFor(key: string, partitions: number): number {
  if (!Number.isSafeInteger(partitions) || partitions < 1) {
    throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
  }
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

/** Internal topic names: `<appId>.<aggregation>.repartition` and `.changelog`. */
export const repartitionTopic = (appId: string, aggregation: string): string =>
  `${appId}.${aggregation}.repartition`;
export const changelogTopic = (appId: string, aggregation: string): string =>
  `${appId}.${aggregation}.changelog`;

/**
 * The internal topics of one aggregation: its repartition topic (deleted by time) and its
 * changelog (compacted), both with `partitions` partitions.
 */
export function internalTopics(
  appId: string,
  aggregation: string,
  partitions: number,
): TopicSpec[] {
  return [
    {
      name: repartitionTopic(appId, aggregation),
      purpose: 'events',
      cleanupPolicy: 'delete',
      partitions,
    },
    {
      name: changelogTopic(appId, aggregation),
      purpose: 'changelog',
      cleanupPolicy: 'compact',
      partitions,
    },
  ];
}

/** The transactional id of one input partition: the same on every instance, so a new owner fences the old. */
export const transactionalIdOf = (appId: string, topic: string, partition: number): string =>
  `${appId}-${topic}-${partition}`;
