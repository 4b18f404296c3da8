// Where a record the aggregator cannot aggregate goes, in one shape per destination:
// - a dead letter: the original record, with the platform's `dlq.*` headers plus
//   `aggregator.reason`;
// - a late event: the original event bytes and key, with `aggregator.reason`,
//   `aggregator.aggregation`, `aggregator.watermark` and the event's `traceparent`.
import type { AggregationSpec } from '@platform/contracts';
import {
  deadLetterHeaders,
  type Outbox,
  type RecordHeaders,
  type StreamRecord,
} from '@platform/messaging';
import type { WindowEvent } from '@platform/windowing';
import { HEADERS, TRACEPARENT } from './keys';
import type { EventDecoder, Plan } from './plan';
import { eventProblem } from './routing';

const DLQ_SERVICE = 'aggregator';

/** The input partition a record was read from. */
export interface RecordSource {
  readonly topic: string;
  readonly partition: number;
}

export class Router {
  /** `dlq`: the aggregator's dead-letter topic; `clock` stamps dead letters. */
  constructor(
    readonly dlq: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  deadLetter(outbox: Outbox<unknown>, source: RecordSource, m: StreamRecord, reason: string): void {
    const headers = deadLetterHeaders(
      {
        key: m.key,
        value: m.value,
        ...(m.headers === undefined ? {} : { headers: m.headers }),
        source: { topic: source.topic, partition: source.partition, offset: m.offset },
        error: { code: 'UNPROCESSABLE_RECORD', message: reason, retriable: false },
      },
      DLQ_SERVICE,
      this.clock(),
    );
    outbox.push(this.dlq, {
      key: m.key,
      value: m.value,
      headers: { ...headers, [HEADERS.reason]: reason },
    });
  }

  /** `m`: the event as the repartition topic carried it (see source-task.ts). */
  late(outbox: Outbox<unknown>, plan: Plan, m: StreamRecord, reason: string, w: number): void {
    const headers: RecordHeaders = {
      [HEADERS.reason]: reason,
      [HEADERS.aggregation]: plan.spec.name,
      [HEADERS.watermark]: String(w),
    };
    const traceparent = m.headers?.[TRACEPARENT];
    if (traceparent !== undefined) headers[TRACEPARENT] = traceparent;
    const carried = m.headers?.[HEADERS.eventKey];
    const key = Array.isArray(carried) ? carried[0] : carried;
    outbox.push(plan.lateTopic, {
      key: key === undefined ? null : Buffer.from(key),
      value: m.value,
      headers,
    });
  }

  /**
   * The event a record holds, or null once it went to the dead-letter topic. The record's
   * writer schema must be loaded.
   */
  decode(
    outbox: Outbox<unknown>,
    source: RecordSource,
    decode: EventDecoder,
    m: StreamRecord,
  ): WindowEvent | null {
    if (m.value === null) {
      this.deadLetter(outbox, source, m, 'null value');
      return null;
    }
    let event: unknown;
    try {
      event = decode(m.value);
    } catch (error) {
      this.deadLetter(outbox, source, m, `undecodable: ${message(error)}`);
      return null;
    }
    const problem = eventProblem(event);
    if (problem !== null) {
      this.deadLetter(outbox, source, m, problem);
      return null;
    }
    return event as WindowEvent;
  }
}

export function lateReason(spec: AggregationSpec, t: number, w: number): string {
  const l = spec.window.allowedLatenessMs;
  return spec.window.type === 'session'
    ? `session: event time ${t} + allowed lateness ${l} < watermark ${w}`
    : `${spec.window.type}: the oldest window holding ${t} closed (end + allowed lateness ${l} <= watermark ${w})`;
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The first value of header `name`, as text. */
export function header(headers: StreamRecord['headers'], name: string): string | undefined {
  const v = headers?.[name];
  if (v === undefined) return undefined;
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : first.toString();
}
