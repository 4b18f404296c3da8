import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, constants, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, type CsvError } from 'csv-parse';
import { EVENT_TIMESTAMP_FIELD, eventFromTextRecord } from '@platform/contracts';
import {
  SourceOptionError,
  type EventSource,
  type SourceContext,
  type SourceEvent,
  type SourcePlugin,
} from './event-source';
import { Utf8Lines } from './utf8-lines';

export const DEFAULT_TYPE_COLUMN = 'event_type';

/**
 * When to send the next event of a replay: at the original gap from the first event, divided
 * by `speed`. An event earlier than the one before it goes at once. Pure, for tests.
 */
export class ReplayPacer {
  private origin: { readonly eventTime: number; readonly wallTime: number } | undefined;

  constructor(private readonly speed: number) {}

  /** Milliseconds to wait before sending an event with this timestamp, at wall time `now`. */
  delayFor(eventTime: number, now: number): number {
    if (!Number.isFinite(this.speed)) return 0;
    this.origin ??= { eventTime, wallTime: now };
    const due = this.origin.wallTime + (eventTime - this.origin.eventTime) / this.speed;
    return Math.max(0, due - now);
  }
}

/**
 * Replays a CSV file with a header row: each row becomes an event of `--event-type`, or of
 * the type named in its `--type-column` (default `event_type`). Cells are coerced to the
 * contract's field types; rows that do not fit are reported with their line and not sent.
 * Timestamps are kept; `--replay-speed` paces the events by them.
 */
export const csvSource: SourcePlugin = {
  name: 'csv',
  description: 'replays a CSV file (header row), paced by its timestamps',
  async open(context: SourceContext): Promise<EventSource> {
    const { args, contracts } = context;
    const file = args.file;
    if (file === undefined) throw new SourceOptionError('--source csv needs --file <path>');
    if (args.eventType !== undefined && !contracts.has(args.eventType)) {
      throw new SourceOptionError(
        `--event-type ${args.eventType} is not an event type of the model; known: ${contracts.eventTypes.join(', ')}`,
      );
    }
    await access(file, constants.R_OK);
    if ((await stat(file)).isDirectory())
      throw new SourceOptionError(`--file ${file} is a directory; give a CSV file`);
    const fixedType = args.eventType;
    const typeColumn = args.typeColumn ?? DEFAULT_TYPE_COLUMN;
    const ignore = new Set([typeColumn]);
    const speed = args.replaySpeed;

    async function* rows(): AsyncGenerator<SourceEvent> {
      const parser = parse({
        columns: (header: string[]) => {
          // A repeated column would keep only its last value; `__proto__` would be no key
          // of a plain object at all: both would lose data without a word.
          const seen = new Set<string>();
          for (const name of header) {
            if (seen.has(name))
              throw new Error(`${file}: column ${name} appears twice in the header`);
            if (name === '__proto__')
              throw new Error(`${file}: column __proto__ is not a field name`);
            seen.add(name);
          }
          if (fixedType === undefined && !header.includes(typeColumn)) {
            throw new Error(
              `${file} has no ${typeColumn} column: name the type with --event-type <type> or --type-column <column>`,
            );
          }
          return header;
        },
        info: true,
        bom: true,
        skip_empty_lines: true,
        // A malformed row is reported like a row that breaks the contract, not fatal.
        skip_records_with_error: true,
        on_skip: (error: CsvError | undefined) => {
          context.reject({
            at: `line ${String(error?.['lines'] ?? '?')}`,
            failures: [{ field: '$', reason: error?.message ?? 'malformed CSV row' }],
          });
          return undefined;
        },
      });
      // An error of any stage ends the iteration below with it; the callback has nothing to add.
      pipeline(
        createReadStream(file as string),
        new Utf8Lines(file as string),
        parser,
        () => undefined,
      );
      const pacer = new ReplayPacer(speed);
      const fill = { now: context.wallClock, newId: randomUUID };
      try {
        for await (const { record, info } of parser as AsyncIterable<{
          record: Record<string, string>;
          info: { lines: number };
        }>) {
          if (context.signal.aborted) return;
          const named = record[typeColumn] ?? '';
          if (fixedType !== undefined && named !== '' && named !== fixedType) {
            context.reject({
              at: `line ${info.lines}`,
              failures: [
                { field: typeColumn, reason: `names ${named}, not --event-type ${fixedType}` },
              ],
            });
            continue;
          }
          const eventType = fixedType ?? named;
          const result = eventFromTextRecord(contracts, eventType, record, fill, ignore);
          if (!result.ok) {
            context.reject({ at: `line ${info.lines}`, failures: result.failures });
            continue;
          }
          const wait = pacer.delayFor(
            result.event[EVENT_TIMESTAMP_FIELD] as number,
            context.wallClock(),
          );
          if (wait > 0) {
            try {
              await sleep(wait, undefined, { signal: context.signal });
            } catch {
              return; // aborted: Ctrl-C or --duration
            }
          }
          yield { eventType, event: result.event };
        }
      } finally {
        parser.destroy();
      }
    }

    return {
      name: this.name,
      description: `${file} (${fixedType ?? `type from column ${typeColumn}`}, speed ${Number.isFinite(speed) ? `${speed}x` : 'max'})`,
      [Symbol.asyncIterator]: rows,
    };
  },
};
