import type { EventContracts, FieldFailure, ValidEvent } from '@platform/contracts';
import { formatCoordinates, type StoredDeadLetter } from '@platform/messaging';
import { createHash } from 'node:crypto';
import { SCHEMA_VIOLATION, type BadRow } from '../events/bad-row';

/** Header a replayed record carries: the dead letter it came from (`topic:partition:offset`). */
export const REPLAYED_FROM_HEADER = 'dlq.replayed_from';

/** What replaying one dead letter means, decided before anything is sent. */
export type ReplayStep =
  /** A refused gateway event that the contract now accepts: produced to its event topic. */
  | {
      readonly kind: 'event';
      readonly letter: StoredDeadLetter;
      readonly replayId: string;
      readonly eventType: string;
      readonly event: ValidEvent;
    }
  /** A record a consumer could not process: its bytes back to the topic it was read from. */
  | {
      readonly kind: 'record';
      readonly letter: StoredDeadLetter;
      readonly replayId: string;
      readonly topic: string;
      readonly key: Buffer | null;
      readonly value: Buffer | null;
      readonly headers: Readonly<Record<string, string>>;
    }
  /** Still cannot be replayed, and why. */
  | {
      readonly kind: 'fails';
      readonly letter: StoredDeadLetter;
      readonly replayId: string;
      readonly reason: string;
    };

/**
 * A stable id for a letter's event when it has none of its own: a UUID derived from the dead
 * letter's coordinates, so replaying the same letter twice gives the same `event_id`.
 */
export function derivedEventId(letter: StoredDeadLetter): string {
  const hex = createHash('sha256')
    .update(`dlq:${formatCoordinates(letter.at)}`)
    .digest('hex');
  // RFC 4122 layout, version 8 (custom), variant 10.
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    `8${hex.slice(13, 16)}`,
    `${((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}`,
    hex.slice(20, 32),
  ].join('-');
}

export function isBadRow(letter: StoredDeadLetter): boolean {
  return letter.headers['bad_row.schema'] === SCHEMA_VIOLATION;
}

function failuresText(failures: readonly FieldFailure[]): string {
  return failures
    .slice(0, 10)
    .map((f) => `${f.field}: ${f.reason}`)
    .join('; ');
}

/**
 * Pure: the replay of one dead letter under the current contract.
 *
 * - A gateway bad row is checked again by `contracts` (the gateway's own check), with the time
 *   it was received as the time of receipt and its own `event_id` or one derived from the
 *   letter; an event that now passes is produced to its event topic, one that still fails
 *   names its fields.
 * - Any other letter goes back byte for byte to its source topic, with its own headers and
 *   {@link REPLAYED_FROM_HEADER}; its replay id is the `event_id` the caller read from it
 *   (`eventIdOf`), else the letter's coordinates.
 */
export function planReplay(
  letter: StoredDeadLetter,
  contracts: EventContracts,
  eventIdOf: (letter: StoredDeadLetter) => string | undefined = () => undefined,
): ReplayStep {
  if (isBadRow(letter)) return planBadRow(letter, contracts);
  const replayId = eventIdOf(letter) ?? `dlq:${formatCoordinates(letter.at)}`;
  const topic = letter.source.topic;
  if (topic === '' || letter.source.partition < 0) {
    return { kind: 'fails', letter, replayId, reason: 'the dead letter names no source topic' };
  }
  return {
    kind: 'record',
    letter,
    replayId,
    topic,
    key: letter.key,
    value: letter.value,
    headers: { ...letter.headers, [REPLAYED_FROM_HEADER]: formatCoordinates(letter.at) },
  };
}

function planBadRow(letter: StoredDeadLetter, contracts: EventContracts): ReplayStep {
  const fallbackId = derivedEventId(letter);
  const fails = (reason: string, replayId = fallbackId): ReplayStep => ({
    kind: 'fails',
    letter,
    replayId,
    reason,
  });
  let row: BadRow;
  try {
    row = JSON.parse(letter.value?.toString('utf8') ?? '') as BadRow;
  } catch {
    return fails('the bad row is not JSON');
  }
  const data = row?.data;
  if (data === undefined || data === null) return fails('the bad row has no data');
  if (data.payload_truncated === true)
    return fails(`the payload was cut to fit the dead letter (${data.payload_size} bytes sent)`);
  const payload = data.payload;
  const ownId =
    typeof payload === 'object' && payload !== null && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)['event_id']
      : undefined;
  const replayId = typeof ownId === 'string' && ownId !== '' ? ownId : fallbackId;
  if (data.event_type === null || !contracts.has(data.event_type)) {
    return fails(
      `unknown event type ${JSON.stringify(data.event_type)}; known: ${contracts.eventTypes.join(', ')}`,
      replayId,
    );
  }
  const receivedAt = Date.parse(data.failure_tstamp ?? letter.failedAt);
  const checked = contracts.validate(data.event_type, payload, {
    now: () => (Number.isFinite(receivedAt) ? receivedAt : Date.now()),
    newId: () => fallbackId,
  });
  if (!checked.ok) return fails(failuresText(checked.failures), replayId);
  return {
    kind: 'event',
    letter,
    replayId: String(checked.event['event_id']),
    eventType: data.event_type,
    event: checked.event,
  };
}

/** Which letters a replay takes: named records, or those matching every given filter. */
export interface ReplaySelection {
  readonly records?: readonly string[];
  readonly service?: string;
  readonly code?: string;
  /** A substring of the error message. */
  readonly reason?: string;
}

/** Pure: the letters `selection` picks, in the order read. */
export function selectLetters(
  letters: readonly StoredDeadLetter[],
  selection: ReplaySelection,
): StoredDeadLetter[] {
  const records = selection.records === undefined ? undefined : new Set(selection.records);
  return letters.filter(
    (l) =>
      (records === undefined || records.has(formatCoordinates(l.at))) &&
      (selection.service === undefined || l.service === selection.service) &&
      (selection.code === undefined || l.error.code === selection.code) &&
      (selection.reason === undefined || l.error.message.includes(selection.reason)),
  );
}
