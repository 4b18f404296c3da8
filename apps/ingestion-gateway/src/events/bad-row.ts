import type { FieldFailure } from '@platform/contracts';

/** Snowplow-style self-describing bad row: what was sent, why it failed, who refused it, when. */
export const SCHEMA_VIOLATION = 'bad_row/schema_violation/1-0';
export const BAD_ROW_PROCESSOR = { artifact: 'ingestion-gateway', version: '1' } as const;
/** Payloads longer than this (as JSON text) are cut, so one bad row fits a Kafka record. */
export const BAD_ROW_PAYLOAD_MAX_CHARS = 64 * 1024;

export interface BadRow {
  readonly schema: typeof SCHEMA_VIOLATION;
  readonly data: {
    /** The event as received (JSON), or its first characters when it was too long. */
    readonly payload: unknown;
    readonly payload_truncated?: true;
    readonly event_type: string | null;
    readonly failures: readonly FieldFailure[];
    readonly source: string | null;
    readonly processor: typeof BAD_ROW_PROCESSOR;
    readonly failure_tstamp: string;
  };
}

export interface BadRowInput {
  readonly payload: unknown;
  readonly eventType: string | null;
  readonly failures: readonly FieldFailure[];
  readonly source: string | null;
  readonly now: Date;
}

/** Pure: one refused event as a typed bad row. */
export function buildBadRow(input: BadRowInput): BadRow {
  let text: string;
  try {
    text = JSON.stringify(input.payload) ?? 'null';
  } catch {
    text = '"<unserializable>"';
  }
  const truncated = text.length > BAD_ROW_PAYLOAD_MAX_CHARS;
  return {
    schema: SCHEMA_VIOLATION,
    data: {
      payload: truncated ? text.slice(0, BAD_ROW_PAYLOAD_MAX_CHARS) : input.payload,
      ...(truncated ? { payload_truncated: true as const } : {}),
      event_type: input.eventType,
      failures: input.failures,
      source: input.source,
      processor: BAD_ROW_PROCESSOR,
      failure_tstamp: input.now.toISOString(),
    },
  };
}
