import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { load } from '@platform/config';
import { eventFromJsonRecord, valueAtPath } from '@platform/contracts';
import { backoffDelay } from '@platform/observability';
import { scheduleOf, systemClock, ticks } from '@platform/triggers';
import { AdvisoryLockGate } from './advisory-lock-gate';
import {
  SourceOptionError,
  type EventSource,
  type SourceContext,
  type SourceEvent,
  type SourcePlugin,
} from './event-source';

export type PollAnswer =
  | { readonly kind: 'records'; readonly records: readonly unknown[] }
  | { readonly kind: 'retry'; readonly reason: string }
  | { readonly kind: 'fail'; readonly reason: string };

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(flat.length > 60 ? `${flat.slice(0, 57)}...` : flat);
}

/**
 * Pure: what one HTTP answer means. 5xx and 429 are worth retrying; other non-2xx answers, a
 * body that is not JSON, and a path that does not lead to an array are not.
 */
export function readPollAnswer(status: number, bytes: Buffer, jsonPath: string): PollAnswer {
  if (status >= 500 || status === 429) return { kind: 'retry', reason: `HTTP ${status}` };
  const body = bytes.toString('utf8');
  if (status < 200 || status >= 300) {
    return { kind: 'fail', reason: `HTTP ${status}: ${excerpt(body)}` };
  }
  // JSON between systems is UTF-8 (RFC 8259); decoded leniently, a byte that is not would
  // become U+FFFD and be sent as if the API had said so.
  if (!isUtf8(bytes)) {
    return { kind: 'fail', reason: `the answer is not UTF-8, as JSON must be: ${excerpt(body)}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { kind: 'fail', reason: `the answer is not JSON: ${excerpt(body)}` };
  }
  const records = valueAtPath(parsed, jsonPath);
  if (!Array.isArray(records)) {
    const found = records === undefined ? 'nothing' : records === null ? 'null' : typeof records;
    return {
      kind: 'fail',
      reason: `expected an array of records at ${jsonPath === '' ? 'the top level' : jsonPath}, found ${found}`,
    };
  }
  return { kind: 'records', records };
}

/** Ids already sent, so a record that a later poll returns again is skipped. Oldest forgotten first. */
export class SeenIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 1_000_000) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** True the first time an id is offered. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next();
      if (oldest.done !== true) this.ids.delete(oldest.value);
    }
    return true;
  }
}

/** A UUID-shaped id derived from the URL and the record's id: polling again after a restart yields the same `event_id`, which the gateway deduplicates. */
export function eventIdFor(url: string, recordId: string): string {
  const h = createHash('sha1').update(`${url}\n${recordId}`).digest('hex');
  const variant = ((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A record's content, to tell a refused record from a corrected one under the same id. */
function contentHash(record: unknown): string {
  return createHash('sha1').update(JSON.stringify(record)).digest('base64');
}

/** Progress notes of a triggered source (missed ticks, lock hand-overs), on stderr. */
function note(message: string): void {
  process.stderr.write(`http-poll: ${message}\n`);
}

/**
 * Polls a JSON API: at each tick of its trigger (`--every`, `--cron`), GET `--url`, take the array at `--json-path`, map each
 * record to an event of `--event-type` (`--map field=path`, else same-named keys), and send
 * records whose `--id-field` was not seen before. Timeouts, 5xx, 429 and network errors are
 * retried with backoff up to `--max-attempts`; then, or on any other bad answer, the run fails.
 */
export const httpPollSource: SourcePlugin = {
  name: 'http-poll',
  description: 'polls a JSON HTTP API for new records',
  async open(context: SourceContext): Promise<EventSource> {
    const { args, contracts } = context;
    const url = args.url;
    if (url === undefined) throw new SourceOptionError('--source http-poll needs --url <url>');
    const eventType = args.eventType;
    if (eventType === undefined || !contracts.has(eventType)) {
      throw new SourceOptionError(
        `--source http-poll needs --event-type <type>, one of ${contracts.eventTypes.join(', ')}`,
      );
    }
    const fields = contracts.fieldsOf(eventType);
    const unknown = args.fieldMap.filter((m) => fields?.has(m.field) !== true);
    if (unknown.length > 0) {
      throw new SourceOptionError(
        `--map names fields that ${eventType} does not have: ${unknown.map((m) => m.field).join(', ')}`,
      );
    }
    const mapping = args.fieldMap.length > 0 ? args.fieldMap : undefined;
    const { signal } = context;
    const schedule = scheduleOf(args.trigger);
    let gate: AdvisoryLockGate | undefined;
    if (args.triggerLock !== undefined) {
      const config = await load({
        ...(args.domain === undefined ? {} : { domain: args.domain }),
        ...(args.env === undefined ? {} : { environment: args.env }),
      });
      const lock = args.triggerLock;
      gate = new AdvisoryLockGate(config.postgres, lock, (held, reason) =>
        note(
          held
            ? `holds trigger lock ${lock}: this replica polls`
            : `standing by: trigger lock ${lock} is held by another replica${reason === undefined ? '' : ` (${reason})`}`,
        ),
      );
    }

    async function fetchRecords(poll: number): Promise<readonly unknown[] | undefined> {
      for (let attempt = 1; ; attempt++) {
        let answer: PollAnswer;
        // One controller per request, held here: AbortSignal.any over AbortSignal.timeout can
        // lose the timer to garbage collection on Node 20 and then never time out.
        const request = new AbortController();
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          request.abort();
        }, args.requestTimeoutMs);
        const stop = (): void => request.abort();
        signal.addEventListener('abort', stop, { once: true });
        try {
          const response = await fetch(url as string, {
            headers: { accept: 'application/json' },
            signal: request.signal,
          });
          const body = await boundedBody(response, () => request.abort());
          answer =
            body === undefined
              ? { kind: 'fail', reason: `the answer is larger than ${MAX_ANSWER_BYTES} bytes` }
              : readPollAnswer(response.status, body, args.jsonPath);
        } catch (error) {
          if (signal.aborted) return undefined;
          const reason = timedOut
            ? `no answer within ${args.requestTimeoutMs} ms`
            : error instanceof Error
              ? ((error.cause as Error | undefined)?.message ?? error.message)
              : String(error);
          answer = { kind: 'retry', reason };
        } finally {
          clearTimeout(timer);
          signal.removeEventListener('abort', stop);
        }
        if (answer.kind === 'records') return answer.records;
        if (answer.kind === 'fail') throw new Error(`GET ${url} (poll ${poll}): ${answer.reason}`);
        if (attempt >= args.maxAttempts) {
          throw new Error(
            `GET ${url} (poll ${poll}) failed ${attempt} times, last: ${answer.reason}`,
          );
        }
        try {
          await sleep(backoffDelay(attempt), undefined, { signal });
        } catch {
          return undefined;
        }
      }
    }

    async function* polls(): AsyncGenerator<SourceEvent> {
      const seen = new SeenIds();
      // Refused records, by id and content: reported once, and tried again once they change.
      const refused = new SeenIds();
      // Repeats of an id within one answer, by id and content: an API that keeps returning the
      // same pair is reported once, not at every poll.
      const repeated = new SeenIds();
      try {
        for await (const tick of ticks(schedule, {
          clock: systemClock,
          signal,
          ...(gate === undefined ? {} : { gate }),
          onMissed: (m) =>
            note(
              `${m.count} tick(s) from ${new Date(m.first).toISOString()} to ${new Date(m.last).toISOString()} passed while a poll ran; not run`,
            ),
        })) {
          const poll = tick.number;
          const records = await fetchRecords(poll);
          if (records === undefined) return;
          const inAnswer = new Set<string>();
          for (const [index, record] of records.entries()) {
            const rawId = valueAtPath(record, args.idField);
            const at = `poll ${poll} record ${index + 1}`;
            if (typeof rawId !== 'string' && typeof rawId !== 'number') {
              context.reject({
                at,
                failures: [
                  {
                    field: args.idField,
                    reason: 'no id: cannot tell a new record from a seen one',
                  },
                ],
              });
              continue;
            }
            const id = String(rawId);
            // Two records of one answer under one id: which one is right cannot be told.
            if (inAnswer.has(id)) {
              if (repeated.add(`${id}\n${contentHash(record)}`)) {
                context.reject({
                  at: `${at} (id ${id})`,
                  failures: [
                    {
                      field: args.idField,
                      reason: 'appears more than once in this answer: the first one was taken',
                    },
                  ],
                });
              }
              continue;
            }
            inAnswer.add(id);
            if (seen.has(id)) continue;
            const result = eventFromJsonRecord(
              contracts,
              eventType as string,
              record,
              { now: context.wallClock, newId: () => eventIdFor(url as string, id) },
              mapping,
            );
            if (!result.ok) {
              if (refused.add(`${id}\n${contentHash(record)}`))
                context.reject({ at: `${at} (id ${id})`, failures: result.failures });
              continue;
            }
            seen.add(id);
            yield { eventType: eventType as string, event: result.event };
          }
        }
      } finally {
        await gate?.close();
      }
    }

    return {
      name: this.name,
      description: `${url} ${schedule.description} as ${eventType}${gate === undefined ? '' : ` (trigger lock ${gate.name})`}`,
      [Symbol.asyncIterator]: polls,
    };
  },
};

/** The most bytes a poll answer may take: a larger one fails at once, and is not retried. */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/**
 * The answer's body as text, or undefined (the request aborted) once it declares or sends
 * more than {@link MAX_ANSWER_BYTES}: an endless or huge answer must not fill the memory.
 */
async function boundedBody(response: Response, abort: () => void): Promise<Buffer | undefined> {
  if (Number(response.headers.get('content-length') ?? 0) > MAX_ANSWER_BYTES) {
    abort();
    return undefined;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (response.body !== null) {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > MAX_ANSWER_BYTES) {
        abort();
        return undefined;
      }
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks);
}
