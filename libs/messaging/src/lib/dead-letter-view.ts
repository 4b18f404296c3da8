import { DLQ_HEADERS } from './dead-letter';
import type { ReadRecord } from './topic-reader';

/** Where a record sits: `topic:partition:offset`. */
export interface Coordinates {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** A dead letter as read back from a `dlq.*` topic. */
export interface StoredDeadLetter {
  /** Where the dead letter itself is. */
  readonly at: Coordinates;
  /** Where the refused record was read from (`http`, partition -1, for the gateway's bad rows). */
  readonly source: Coordinates;
  readonly service: string;
  readonly error: { readonly code: string; readonly message: string; readonly retriable: boolean };
  /** ISO time the record was dead-lettered. */
  readonly failedAt: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** The refused record's own headers, without the `dlq.*` ones. */
  readonly headers: Readonly<Record<string, string>>;
}

const DLQ_HEADER_NAMES = new Set<string>(Object.values(DLQ_HEADERS));

/** Pure: a record of a dead-letter topic with its `dlq.*` headers read. */
export function storedDeadLetter(record: ReadRecord): StoredDeadLetter {
  const h = record.headers;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(h)) {
    if (!DLQ_HEADER_NAMES.has(name)) headers[name] = value;
  }
  return {
    at: { topic: record.topic, partition: record.partition, offset: record.offset },
    source: {
      topic: h[DLQ_HEADERS.sourceTopic] ?? '',
      partition: Number(h[DLQ_HEADERS.sourcePartition] ?? -1),
      offset: h[DLQ_HEADERS.sourceOffset] ?? '-1',
    },
    service: h[DLQ_HEADERS.service] ?? '',
    error: {
      code: h[DLQ_HEADERS.errorCode] ?? 'UNKNOWN',
      message: h[DLQ_HEADERS.errorMessage] ?? '',
      retriable: h[DLQ_HEADERS.errorRetriable] === 'true',
    },
    failedAt: h[DLQ_HEADERS.timestamp] ?? new Date(record.timestamp).toISOString(),
    key: record.key,
    value: record.value,
    headers,
  };
}

export function formatCoordinates(c: Coordinates): string {
  return `${c.topic}:${c.partition}:${c.offset}`;
}

/** `topic:partition:offset` (the topic may contain colons), or undefined when malformed. */
export function parseCoordinates(text: string): Coordinates | undefined {
  const match = /^(.+):(\d+):(\d+)$/.exec(text.trim());
  if (match === null) return undefined;
  return { topic: match[1] as string, partition: Number(match[2]), offset: match[3] as string };
}

/** Dead letters that failed for the same reason. */
export interface ReasonGroup {
  readonly service: string;
  readonly code: string;
  readonly message: string;
  readonly count: number;
  readonly firstFailedAt: string;
  readonly lastFailedAt: string;
  readonly letters: readonly Coordinates[];
}

/** Pure: letters grouped by service, error code and message; the largest group first. */
export function groupByReason(letters: readonly StoredDeadLetter[]): ReasonGroup[] {
  const groups = new Map<string, { head: StoredDeadLetter; all: StoredDeadLetter[] }>();
  for (const letter of letters) {
    const id = JSON.stringify([letter.service, letter.error.code, letter.error.message]);
    const group = groups.get(id);
    if (group === undefined) groups.set(id, { head: letter, all: [letter] });
    else group.all.push(letter);
  }
  return [...groups.values()]
    .map(({ head, all }) => {
      const times = all.map((l) => l.failedAt).sort();
      return {
        service: head.service,
        code: head.error.code,
        message: head.error.message,
        count: all.length,
        firstFailedAt: times[0] ?? '',
        lastFailedAt: times[times.length - 1] ?? '',
        letters: all.map((l) => l.at),
      };
    })
    .sort((a, b) => b.count - a.count || a.firstFailedAt.localeCompare(b.firstFailedAt));
}
