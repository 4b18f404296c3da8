import { boundFailures, truncateText, type FieldFailure } from '@platform/contracts';
import { createHash } from 'node:crypto';

/** Snowplow-style self-describing bad row: what was sent, why it failed, who refused it, when. */
export const SCHEMA_VIOLATION = 'bad_row/schema_violation/1-0';
export const BAD_ROW_PROCESSOR = { artifact: 'ingestion-gateway', version: '1' } as const;
/**
 * Payloads longer than this (as JSON text) are cut, and failures are bounded, so one bad row
 * always fits a Kafka record: a bad row is never dropped for being too big.
 */
export const BAD_ROW_PAYLOAD_MAX_CHARS = 64 * 1024;

export interface BadRow {
  readonly schema: typeof SCHEMA_VIOLATION;
  readonly data: {
    /** The event as received (JSON), or the first characters of its JSON text when too long. */
    readonly payload: unknown;
    readonly payload_truncated?: true;
    /** Size of the whole payload as JSON text, in UTF-8 bytes, and its SHA-256 (hex). */
    readonly payload_size: number;
    readonly payload_sha256: string;
    readonly event_type: string | null;
    /** At most 100; `failures_omitted` counts the rest. */
    readonly failures: readonly FieldFailure[];
    readonly failures_omitted?: number;
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

/** Pure: one refused event as a typed bad row of bounded size. */
export function buildBadRow(input: BadRowInput): BadRow {
  let text: string;
  try {
    text = JSON.stringify(input.payload) ?? 'null';
  } catch {
    text = '"<unserializable>"';
  }
  const bytes = Buffer.from(text, 'utf8');
  const truncated = text.length > BAD_ROW_PAYLOAD_MAX_CHARS;
  const { failures, omitted } = boundFailures(input.failures);
  return {
    schema: SCHEMA_VIOLATION,
    data: {
      payload: truncated ? truncateText(text, BAD_ROW_PAYLOAD_MAX_CHARS) : input.payload,
      ...(truncated ? { payload_truncated: true as const } : {}),
      payload_size: bytes.length,
      payload_sha256: createHash('sha256').update(bytes).digest('hex'),
      event_type: input.eventType === null ? null : truncateText(input.eventType, 64),
      failures,
      ...(omitted > 0 ? { failures_omitted: omitted } : {}),
      source: input.source,
      processor: BAD_ROW_PROCESSOR,
      failure_tstamp: input.now.toISOString(),
    },
  };
}
