import { writeFile } from 'node:fs/promises';
import { load, type PlatformConfig } from '@platform/config';
import { SyntheticGenerator } from '@platform/synthetic';
import type { EventSink } from '../generation/event-sink';
import { JsonLinesSink } from '../generation/event-sink';
import { runGeneration, systemClock, type Progress } from '../generation/generation-loop';
import { GatewaySink } from '../generation/gateway-sink';
import { KafkaSink } from '../generation/kafka-sink';
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
  /** Wall clock, only for `--start-time now`. */
  readonly wallClock: () => number;
  readonly signal?: AbortSignal;
}

const PLAIN_PROGRESS_EVERY_MS = 5_000;

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

  const generator = new SyntheticGenerator(config.model, {
    seed: args.seed,
    userPoolSize: args.users,
    ...(args.startTime === undefined
      ? {}
      : { startTime: args.startTime === 'now' ? io.wallClock() : args.startTime }),
    ...(args.outOfOrder === undefined || args.outOfOrder === 0
      ? {}
      : { outOfOrder: { fraction: args.outOfOrder, maxDelayMs: args.outOfOrderMaxDelayMs } }),
    ...(args.late === undefined || args.late === 0
      ? {}
      : { lateBeyond: { fraction: args.late, delayMs: args.lateDelayMs } }),
  });

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
        ...(args.registry === undefined ? {} : { registryUrl: args.registry }),
      });
      sink = kafka;
      topics = kafka.topics;
    } catch (error) {
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
  let drawn = false;
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
  try {
    const result = await runGeneration({
      source: generator.stream(args.count === undefined ? {} : { count: args.count }),
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
      target: targetName,
      domain: config.domain,
      environment: config.environment,
      seed: args.seed,
      topics,
    });
    io.stderr(`${formatSummary(summary)}\n`);
    if (args.summaryJson !== undefined) {
      await writeFile(args.summaryJson, `${JSON.stringify(summary, null, 2)}\n`);
    }
    if (!summary.ok) {
      io.stderr(
        `error: ${summary.errors} events were not acknowledged: ${summary.error ?? 'unknown error'}\n`,
      );
      exitCode = 1;
    } else if (result.stoppedBy === 'signal') {
      exitCode = 130;
    }
  } catch (error) {
    if (drawn) io.stderr('\n');
    io.stderr(`error: ${message(error)}\n`);
    exitCode = 1;
  } finally {
    try {
      await sink.close();
    } catch (error) {
      io.stderr(`error: closing the producer: ${message(error)}\n`);
      exitCode = exitCode === 0 ? 1 : exitCode;
    }
  }
  return exitCode;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
