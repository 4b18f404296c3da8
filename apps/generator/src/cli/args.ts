import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { GENERATOR_TEXT, type TextReader } from '@platform/config';
import type { FieldMapping } from '@platform/contracts';
import { scheduleOf, TriggerSpecError, type TriggerSpec } from '@platform/triggers';

export type Target = 'kafka' | 'gateway';

/** The Kafka client the producer runs on (`--kafka-client`). */
export type KafkaClientName = 'kafkajs' | 'librdkafka';

/** A validated `generator run` invocation. */
export interface RunArgs {
  readonly domain: string | undefined;
  readonly env: string | undefined;
  /** Events per second; `Infinity` is as fast as the sink allows. */
  readonly ratePerSec: number;
  readonly count: number | undefined;
  readonly durationMs: number | undefined;
  /** Where events come from: `synthetic`, `csv`, `http-poll`, or a plugin's source. */
  readonly source: string;
  /** Modules that register more sources (`--plugin`). */
  readonly plugins: readonly string[];
  /** `--source-option key=value`, for plugin sources. */
  readonly sourceOptions: Readonly<Record<string, string>>;
  /** `--source csv`: the file, the type (or the column naming it) and the pacing. */
  readonly file: string | undefined;
  readonly eventType: string | undefined;
  readonly typeColumn: string | undefined;
  /** Multiple of the original pace; `Infinity` is as fast as possible. */
  readonly replaySpeed: number;
  /** `--source http-poll`. */
  readonly url: string | undefined;
  /** When a triggered source (http-poll) fires: `--every <d>` (default 5s) or `--cron <expr>`. */
  readonly trigger: TriggerSpec;
  /** Replicas naming the same lock fire each tick once between them (PostgreSQL advisory lock). */
  readonly triggerLock: string | undefined;
  readonly jsonPath: string;
  readonly fieldMap: readonly FieldMapping[];
  readonly idField: string;
  readonly requestTimeoutMs: number;
  readonly maxAttempts: number;
  readonly seed: number;
  readonly target: Target;
  /** `--target kafka`: kafkajs (default) or librdkafka. */
  readonly kafkaClient: KafkaClientName;
  readonly outOfOrder: number | undefined;
  readonly outOfOrderMaxDelayMs: number;
  readonly late: number | undefined;
  readonly lateDelayMs: number;
  readonly users: number;
  readonly startTime: number | 'now' | undefined;
  readonly registry: string | undefined;
  /** `--target gateway`: base URL, write key and events per request. */
  readonly gatewayUrl: string;
  readonly writeKey: string | undefined;
  readonly batchSize: number;
  readonly summaryJson: string | undefined;
  readonly dryRun: boolean;
  readonly progress: boolean;
}

/** Usage errors exit with 2, as getopt-style tools do; 1 is for runs that failed. */
export const USAGE_EXIT_CODE = 2;

export type ParseResult =
  | { readonly kind: 'run'; readonly args: RunArgs }
  | { readonly kind: 'exit'; readonly code: number; readonly output: string };

/** A flag's value through a reader of libs/config, or the reader's `expected` as the error. */
function readFlag<T>(reader: TextReader<T>, value: string, expected = reader.expected): T {
  const read = reader.read(value);
  if (read === undefined) throw new InvalidArgumentError(`expected ${expected}.`);
  return read;
}

/** `5000/s`, `5000` (per second), `300/m`, `2/ms`; `max` or `unlimited` (Infinity) for no limit. */
export function parseRate(value: string): number {
  if (/^(max|unlimited)$/i.test(value.trim())) return Infinity;
  return readFlag(GENERATOR_TEXT.rate, value, 'a positive rate such as 5000/s, 300/m or max');
}

/** `60s`, `5m`, `1h`, `1500ms`, or a bare number of milliseconds. */
export const parseDuration = (value: string): number => readFlag(GENERATOR_TEXT.duration, value);
export const parseCount = (value: string): number => readFlag(GENERATOR_TEXT.count, value);
export const parseSeed = (value: string): number => readFlag(GENERATOR_TEXT.seed, value);
export const parseFraction = (value: string): number => readFlag(GENERATOR_TEXT.fraction, value);
/** `now`, epoch milliseconds, or an ISO-8601 date. */
export const parseStartTime = (value: string): number | 'now' =>
  readFlag(GENERATOR_TEXT.startTime, value);

/** `1x`, `10x`, `0.5x` or a bare multiple; `max` for as fast as possible. */
export function parseReplaySpeed(value: string): number {
  const v = value.trim();
  if (/^max$/i.test(v)) return Infinity;
  const m = /^(\d+(?:\.\d+)?)x?$/i.exec(v);
  const speed = m === null ? NaN : Number(m[1]);
  if (!(speed > 0) || !Number.isFinite(speed)) {
    throw new InvalidArgumentError('expected a speed such as 1x, 10x, 0.5x or max.');
  }
  return speed;
}

/** `field=path`, repeatable or comma-separated: `user_id=user.id,timestamp=created_at`. */
export function parseFieldMap(
  value: string,
  previous: readonly FieldMapping[] = [],
): FieldMapping[] {
  const pairs = value.split(',').map((pair) => pair.trim());
  return [
    ...previous,
    ...pairs.map((pair): FieldMapping => {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=(\S+)$/.exec(pair);
      if (m === null) throw new InvalidArgumentError(`expected field=path, got "${pair}".`);
      return { field: m[1] as string, path: m[2] as string };
    }),
  ];
}

function parseSourceOption(
  value: string,
  previous: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected key=value, got "${value}".`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

function collect(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}

function parsePollUrl(value: string): string {
  if (/^https?:$/.test(URL.parse(value)?.protocol ?? '')) return value;
  throw new InvalidArgumentError('expected an http(s) URL.');
}

function parseUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value.replace(/\/+$/, '');
  } catch {
    // reported below
  }
  throw new InvalidArgumentError('expected an http(s) URL.');
}

interface RawRunOptions {
  domain?: string;
  env?: string;
  rate?: number;
  count?: number;
  duration?: number;
  source: string;
  plugin?: string[];
  sourceOption?: Record<string, string>;
  file?: string;
  eventType?: string;
  typeColumn?: string;
  replaySpeed: number;
  url?: string;
  every: number;
  cron?: string;
  triggerLock?: string;
  jsonPath: string;
  map?: FieldMapping[];
  idField: string;
  requestTimeout: number;
  maxAttempts: number;
  seed: number;
  target: Target;
  kafkaClient: KafkaClientName;
  outOfOrder?: number;
  outOfOrderMaxDelay: number;
  late?: number;
  lateDelay: number;
  users: number;
  startTime?: number | 'now';
  registry?: string;
  gatewayUrl: string;
  writeKey?: string;
  batchSize: number;
  summaryJson?: string;
  dryRun?: boolean;
  progress: boolean;
}

/**
 * The `generator` program. `onRun` receives validated arguments; nothing here does I/O
 * except through commander's output hooks, which the caller provides.
 */
export function buildProgram(
  onRun: (args: RunArgs) => void,
  output: { writeOut(s: string): void; writeErr(s: string): void },
): Command {
  const program = new Command('generator')
    .description(
      'Events from a source (synthetic sessions, a CSV replay, an HTTP API) to Kafka, the gateway or stdout',
    )
    .configureOutput({ writeOut: output.writeOut, writeErr: output.writeErr })
    .exitOverride()
    .showHelpAfterError('(run "generator run --help" for the options)');

  program
    .command('run')
    .description('Send events from a source, at a rate, for a count or a duration')
    .option(
      '--domain <name>',
      'domain of config/domains/<name>.yaml (default: DOMAIN, then platform.yaml)',
    )
    .option(
      '--env <name>',
      'environment of config/environments/<name>.yaml (default: ENVIRONMENT, then platform.yaml)',
    )
    .option(
      '--rate <rate>',
      'events per second: 5000/s, 300/m, or max (default 1000/s synthetic, max otherwise)',
      parseRate,
    )
    .addOption(
      new Option('--count <n>', 'number of events').argParser(parseCount).conflicts('duration'),
    )
    .option('--duration <d>', 'run for this long: 60s, 5m', parseDuration)
    .option('--source <name>', 'where events come from: synthetic, csv, http-poll', 'synthetic')
    .option('--plugin <module>', 'load more sources from a module (repeatable)', collect)
    .option(
      '--source-option <key=value>',
      'an option of a plugin source (repeatable)',
      parseSourceOption,
    )
    .option('--file <path>', 'CSV file with a header row (--source csv)')
    .option('--event-type <type>', 'event type of every record (csv, http-poll)')
    .option(
      '--type-column <column>',
      "CSV column naming each row's event type (default event_type; csv without --event-type)",
    )
    .addOption(
      new Option('--replay-speed <speed>', 'csv pacing by timestamps: 1x original, 10x, 0.5x, max')
        .argParser(parseReplaySpeed)
        .default(1, '1x'),
    )
    .option('--url <url>', 'JSON API to poll (--source http-poll)', parsePollUrl)
    .addOption(
      new Option('--every <d>', 'fire a triggered source (http-poll) at this rate: 30s, 5m')
        .argParser(parseDuration)
        .default(5_000, '5s'),
    )
    .addOption(
      new Option('--cron <expr>', "fire a triggered source on a cron schedule, UTC: '*/5 * * * *'")
        .argParser(parseCron)
        .conflicts('every'),
    )
    .option(
      '--trigger-lock <name>',
      'replicas with the same lock name fire each tick once between them (PostgreSQL advisory lock)',
    )
    .addOption(
      new Option(
        '--json-path <path>',
        'where the array of records is in the answer: data.items',
      ).default('', 'the whole answer'),
    )
    .option(
      '--map <field=path>',
      'event field from a record path, repeatable or comma-separated (http-poll)',
      parseFieldMap,
    )
    .option('--id-field <path>', 'record id, to skip records seen in earlier polls', 'id')
    .addOption(
      new Option('--request-timeout <d>', 'timeout of one poll request (http-poll)')
        .argParser(parseDuration)
        .default(10_000, '10s'),
    )
    .option(
      '--max-attempts <n>',
      'tries per poll on 5xx, 429, timeouts, network errors',
      parseCount,
      5,
    )
    .option('--seed <n>', 'PRNG seed: the same seed gives the same events', parseSeed, 42)
    .addOption(
      new Option('--target <target>', 'where events go')
        .choices(['kafka', 'gateway'])
        .default('kafka'),
    )
    .addOption(
      new Option('--kafka-client <client>', 'Kafka client of the producer (--target kafka)')
        .choices(['kafkajs', 'librdkafka'])
        .env('GENERATOR_KAFKA_CLIENT')
        .default('kafkajs'),
    )
    .option(
      '--out-of-order <fraction>',
      'fraction of events emitted late (within a lateness bound)',
      parseFraction,
    )
    .option(
      '--out-of-order-max-delay <d>',
      'largest delay of an out-of-order event',
      parseDuration,
      30_000,
    )
    .option(
      '--late <fraction>',
      'fraction of events emitted beyond the lateness bound',
      parseFraction,
    )
    .option('--late-delay <d>', 'delay of a beyond-lateness event', parseDuration, 300_000)
    .option('--users <n>', 'size of the user pool', parseCount, 100)
    .option(
      '--start-time <t>',
      'event time of the first event: epoch ms, ISO date, ISO date-time with its offset, or now (default 2024-01-01T00:00:00Z)',
      parseStartTime,
    )
    .option(
      '--registry <url>',
      'schema registry URL (default: schema_registry.url of the config)',
      parseUrl,
    )
    .addOption(
      new Option('--gateway-url <url>', 'ingestion gateway base URL (--target gateway)')
        .env('GATEWAY_URL')
        .argParser(parseUrl)
        .default('http://127.0.0.1:8080'),
    )
    .addOption(
      new Option(
        '--write-key <key>',
        'gateway write key (--target gateway); prefer the variable, flags show in ps',
      ).env('GATEWAY_WRITE_KEY'),
    )
    .addOption(
      new Option('--batch-size <n>', 'events per POST /v1/events (--target gateway)')
        .env('GATEWAY_BATCH_SIZE')
        .argParser(parseCount)
        .default(100),
    )
    .option('--summary-json <file>', 'also write the summary as JSON to this file')
    .option('--dry-run', 'print events as JSON lines to stdout; no Kafka')
    .option('--no-progress', 'no progress bar or progress lines')
    .action((raw: RawRunOptions, command: Command) => {
      if (raw.source === 'synthetic' && raw.count === undefined && raw.duration === undefined) {
        command.error('error: one of --count <n> or --duration <d> is required', {
          exitCode: USAGE_EXIT_CODE,
          code: 'generator.missingBound',
        });
      }
      if ((raw.outOfOrder ?? 0) + (raw.late ?? 0) > 1) {
        command.error('error: --out-of-order plus --late must not exceed 1', {
          exitCode: USAGE_EXIT_CODE,
          code: 'generator.fractions',
        });
      }
      if (raw.target === 'gateway' && raw.dryRun !== true && (raw.writeKey ?? '') === '') {
        command.error(
          'error: --target gateway needs a write key: --write-key or GATEWAY_WRITE_KEY',
          {
            exitCode: USAGE_EXIT_CODE,
            code: 'generator.writeKey',
          },
        );
      }
      onRun({
        domain: raw.domain,
        env: raw.env,
        // A replay or a poll is paced by its source; synthetic sessions by a rate.
        ratePerSec: raw.rate ?? (raw.source === 'synthetic' ? 1000 : Infinity),
        count: raw.count,
        durationMs: raw.duration,
        source: raw.source,
        plugins: raw.plugin ?? [],
        sourceOptions: raw.sourceOption ?? {},
        file: raw.file,
        eventType: raw.eventType,
        typeColumn: raw.typeColumn,
        replaySpeed: raw.replaySpeed,
        url: raw.url,
        trigger:
          raw.cron === undefined
            ? { kind: 'every', everyMs: raw.every }
            : { kind: 'cron', expression: raw.cron },
        triggerLock: raw.triggerLock,
        jsonPath: raw.jsonPath,
        fieldMap: raw.map ?? [],
        idField: raw.idField,
        requestTimeoutMs: raw.requestTimeout,
        maxAttempts: raw.maxAttempts,
        seed: raw.seed,
        target: raw.target,
        kafkaClient: raw.kafkaClient,
        outOfOrder: raw.outOfOrder,
        outOfOrderMaxDelayMs: raw.outOfOrderMaxDelay,
        late: raw.late,
        lateDelayMs: raw.lateDelay,
        users: raw.users,
        startTime: raw.startTime,
        registry: raw.registry,
        gatewayUrl: raw.gatewayUrl,
        writeKey: raw.writeKey,
        batchSize: raw.batchSize,
        summaryJson: raw.summaryJson,
        dryRun: raw.dryRun === true,
        progress: raw.progress,
      });
    });
  return program;
}

function parseCron(value: string): string {
  try {
    scheduleOf({ kind: 'cron', expression: value });
  } catch (error) {
    if (error instanceof TriggerSpecError) throw new InvalidArgumentError(error.message);
    throw error;
  }
  return value;
}

/** Parses argv (without node and script); usage errors become exit code 2 with the message. */
export function parseArgs(argv: readonly string[]): ParseResult {
  let output = '';
  let parsed: RunArgs | undefined;
  const program = buildProgram(
    (args) => {
      parsed = args;
    },
    { writeOut: (s) => (output += s), writeErr: (s) => (output += s) },
  );
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      const help =
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.help' ||
        error.code === 'commander.version';
      return {
        kind: 'exit',
        code: help ? 0 : USAGE_EXIT_CODE,
        output: output || `${error.message}\n`,
      };
    }
    throw error;
  }
  if (parsed === undefined) {
    return { kind: 'exit', code: USAGE_EXIT_CODE, output: output || program.helpInformation() };
  }
  return { kind: 'run', args: parsed };
}
