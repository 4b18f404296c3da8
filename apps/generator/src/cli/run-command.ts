import { writeFile } from 'node:fs/promises';
import { load, type PlatformConfig } from '@platform/config';
import { EventContracts } from '@platform/contracts';
import { resolveRevenueField } from '@platform/synthetic';
import type { EventSink } from '../generation/event-sink';
import { JsonLinesSink } from '../generation/event-sink';
import {
  runGeneration,
  systemClock,
  type GenerationOptions,
  type Progress,
} from '../generation/generation-loop';
import { GatewaySink } from '../generation/gateway-sink';
import { KafkaSink } from '../generation/kafka-sink';
import { builtinSources } from '../sources/builtin-sources';
import {
  SourceOptionError,
  type EventSource,
  type Rejection,
  type SourceEvent,
} from '../sources/event-source';
import { USAGE_EXIT_CODE, type RunArgs } from './args';
import {
  formatProgressBar,
  formatProgressLine,
  formatSummary,
  RateMeter,
  toSummaryJson,
} from './format';

export interface CliIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly isTTY: boolean;
  /** Wall clock: `--start-time now`, replay pacing, timestamps of records without one. */
  readonly wallClock: () => number;
  /** Where relative `--plugin` paths are resolved. Default the process's directory. */
  readonly cwd?: string;
  readonly signal?: AbortSignal;
}

const PLAIN_PROGRESS_EVERY_MS = 5_000;
/** The gateway's default string limit: a replayed event passes the gateway's own check. */
const MAX_STRING_LENGTH = 8192;

/** `generator run`: returns the process exit code (0 ok, 1 the run failed, 2 usage). */
export async function runCommand(args: RunArgs, io: CliIo): Promise<number> {
  let config: PlatformConfig;
  try {
    config = await load({
      ...(args.domain === undefined ? {} : { domain: args.domain }),
      ...(args.env === undefined ? {} : { environment: args.env }),
    });
  } catch (error) {
    io.stderr(`error: cannot load the configuration: ${message(error)}\n`);
    return USAGE_EXIT_CODE;
  }

  // Ctrl-C and --duration also stop a source that is waiting (a paced replay, a poll).
  const stopSource = new AbortController();
  const onAbort = (): void => stopSource.abort();
  io.signal?.addEventListener('abort', onAbort, { once: true });
  const durationTimer =
    args.durationMs === undefined ? undefined : setTimeout(onAbort, args.durationMs);
  const release = (): void => {
    clearTimeout(durationTimer);
    io.signal?.removeEventListener('abort', onAbort);
  };

  let drawn = false;
  let rejected = 0;
  const reject = (r: Rejection): void => {
    rejected++;
    const reasons = r.failures.map((f) => `${f.field}: ${f.reason}`).join('; ');
    io.stderr(`${drawn ? '\r\x1b[2K' : ''}rejected ${r.at}: ${reasons}\n`);
  };

  let source: EventSource;
  try {
    const registry = builtinSources();
    for (const plugin of args.plugins) registry.load(plugin, io.cwd ?? process.cwd());
    source = await registry.get(args.source).open({
      model: config.model,
      contracts: new EventContracts(config.model, { maxStringLength: MAX_STRING_LENGTH }),
      args,
      options: args.sourceOptions,
      signal: stopSource.signal,
      wallClock: io.wallClock,
      reject,
    });
  } catch (error) {
    release();
    // By name too: a plugin module cannot import the class.
    if (
      error instanceof SourceOptionError ||
      (error as Error | null)?.name === 'SourceOptionError'
    ) {
      io.stderr(`error: ${message(error)}\n`);
      return USAGE_EXIT_CODE;
    }
    io.stderr(`error: cannot open the ${args.source} source: ${message(error)}\n`);
    return 1;
  }

  let sink: EventSink;
  let topics: Readonly<Record<string, string>> = {};
  const targetName = args.dryRun ? 'dry-run' : args.target;
  if (args.dryRun) {
    sink = new JsonLinesSink(io.stdout);
  } else if (args.target === 'gateway') {
    sink = new GatewaySink({
      url: args.gatewayUrl,
      writeKey: args.writeKey ?? '',
      batchSize: args.batchSize,
    });
  } else {
    try {
      const kafka = await KafkaSink.open({
        config,
        client: args.kafkaClient,
        ...(args.registry === undefined ? {} : { registryUrl: args.registry }),
      });
      sink = kafka;
      topics = kafka.topics;
    } catch (error) {
      release();
      io.stderr(`error: cannot start the Kafka producer: ${message(error)}\n`);
      return 1;
    }
  }

  const target = {
    ...(args.count === undefined ? {} : { count: args.count }),
    ...(args.durationMs === undefined ? {} : { durationMs: args.durationMs }),
  };
  const meter = new RateMeter();
  let lastPlain = 0;
  const onProgress = (p: Progress): void => {
    const rate = meter.add(p.elapsedMs, p.generated);
    if (!args.progress) return;
    if (io.isTTY) {
      io.stderr(`\r\x1b[2K${formatProgressBar(p, target, rate)}`);
      drawn = true;
    } else if (p.elapsedMs - lastPlain >= PLAIN_PROGRESS_EVERY_MS) {
      lastPlain = p.elapsedMs;
      io.stderr(`${formatProgressLine(p, target, rate)}\n`);
    }
  };

  let exitCode = 0;
  const events = iteratorOf(source);
  try {
    const result = await runGeneration({
      source: events,
      ...(args.count === undefined ? {} : { count: args.count }),
      sink,
      model: config.model,
      ...(Number.isFinite(args.ratePerSec) ? { ratePerSec: args.ratePerSec } : {}),
      ...(args.durationMs === undefined ? {} : { durationMs: args.durationMs }),
      clock: systemClock,
      onProgress,
      ...(io.signal === undefined ? {} : { signal: io.signal }),
    });
    if (drawn) io.stderr('\n');
    const summary = toSummaryJson(result, {
      source: args.source,
      rejected,
      target: targetName,
      domain: config.domain,
      environment: config.environment,
      seed: args.seed,
      topics,
      revenue: resolveRevenueField(config.model, undefined) !== undefined,
    });
    io.stderr(`${formatSummary(summary)}\n`);
    if (args.summaryJson !== undefined) {
      // The process's peak resident set size, for the benchmarks.
      const peakRssBytes = process.resourceUsage().maxRSS * 1024;
      await writeFile(
        args.summaryJson,
        `${JSON.stringify({ ...summary, peakRssBytes }, null, 2)}\n`,
      );
    }
    if (result.errors > 0) {
      io.stderr(
        `error: ${result.errors} events were not acknowledged: ${summary.error ?? 'unknown error'}\n`,
      );
      exitCode = 1;
    } else if (result.firstError !== undefined) {
      io.stderr(`error: ${result.firstError}\n`);
      exitCode = 1;
    } else if (rejected > 0) {
      io.stderr(`error: ${rejected} records did not fit the contract and were not sent\n`);
      exitCode = 1;
    } else if (result.stoppedBy === 'signal') {
      exitCode = 130;
    }
  } catch (error) {
    if (drawn) io.stderr('\n');
    io.stderr(`error: ${message(error)}\n`);
    exitCode = 1;
  } finally {
    release();
    // A source stopped by the clock or a signal gives back what it holds (an open file).
    stopSource.abort();
    await Promise.resolve(events.return?.()).catch(() => undefined);
    try {
      await sink.close();
    } catch (error) {
      io.stderr(`error: closing the producer: ${message(error)}\n`);
      exitCode = exitCode === 0 ? 1 : exitCode;
    }
  }
  return exitCode;
}

/** The synthetic source is pulled synchronously (no promise per event); others are awaited. */
function iteratorOf(
  source: EventSource & Partial<Iterable<SourceEvent>>,
): GenerationOptions['source'] {
  const sync = source[Symbol.iterator];
  return sync === undefined ? source[Symbol.asyncIterator]() : sync.call(source);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
