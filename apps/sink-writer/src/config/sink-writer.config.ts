import { serviceNames } from '@platform/config';
import { SINK_STREAMS, type SinkStream } from '@platform/sink-adapters';
import { z } from 'zod';

/** The sink-writer's own settings, validated once at start-up (a `sink_writer` config section later). */
export interface SinkWriterSettings {
  /** Sink driver names, resolved by the sink registry (unknown names fail at boot). */
  readonly sinks: readonly string[];
  readonly streams: readonly SinkStream[];
  readonly groupId: string;
  /** A flush starts once this many records wait. */
  readonly maxBatch: number;
  /** ... or once their values add up to this many bytes. */
  readonly maxBatchBytes: number;
  /** ... or this long after the first of them arrived. */
  readonly maxWaitMs: number;
  /** COPYs a large PostgreSQL write is split into, each on its own connection. */
  readonly pgCopyConnections: number;
  /** Partitions handled at once; their records are written together. */
  readonly concurrency: number;
  /** Where a group without committed offsets starts. */
  readonly fromBeginning: boolean;
  /** How often consumer lag is measured (0 turns it off). */
  readonly lagIntervalMs: number;
  /**
   * How long the group waits for a silent member (a crashed writer) before its partitions
   * go to the others. The broker allows 6 s to 300 s by default.
   */
  readonly sessionTimeoutMs: number;
  readonly port: number;
  readonly host: string;
}

const csv = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== ''),
  )
  .pipe(z.array(z.string().regex(/^[a-z][a-z0-9_-]*$/, 'expected lower-case names')).min(1));

const int = (min: number, max: number): z.ZodType<number, string | undefined> =>
  z.coerce.number().int().min(min).max(max) as unknown as z.ZodType<number, string | undefined>;

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const envSchema = z.object({
  SINK_WRITER_SINKS: csv
    .superRefine((sinks, ctx) => {
      const dup = sinks.find((s, i) => sinks.indexOf(s) !== i);
      if (dup !== undefined)
        ctx.addIssue({ code: 'custom', message: `sink ${dup} is listed twice` });
    })
    .default(['clickhouse', 'postgres']),
  SINK_WRITER_STREAMS: csv.pipe(z.array(z.enum(SINK_STREAMS))).default(['events', 'aggregates']),
  SINK_WRITER_GROUP_ID: z.string().min(1).default('sink-writer'),
  SINK_WRITER_MAX_BATCH: int(1, 1_000_000).default(50_000),
  SINK_WRITER_MAX_BATCH_BYTES: int(1, 1 << 30).default(16 << 20),
  SINK_WRITER_MAX_WAIT_MS: int(0, 600_000).default(100),
  SINK_WRITER_CONCURRENCY: int(1, 64).default(3),
  SINK_WRITER_PG_COPY_CONNECTIONS: int(1, 8).default(2),
  SINK_WRITER_FROM_BEGINNING: bool.default(true),
  SINK_WRITER_LAG_INTERVAL_MS: int(0, 600_000).default(2_000),
  SINK_WRITER_SESSION_TIMEOUT_MS: int(6_000, 300_000).default(30_000),
  PORT: int(0, 65_535).default(8083),
  HOST: z.string().min(1).default('0.0.0.0'),
});

export class SinkWriterConfigError extends Error {
  override readonly name = 'SinkWriterConfigError';
  readonly code = 'CONFIG_INVALID';
  readonly retriable = false;
}

/** Reads and validates the `SINK_WRITER_*` variables; one error lists every bad one. */
export function loadSinkWriterSettings(
  env: Readonly<Record<string, string | undefined>>,
): SinkWriterSettings {
  const present: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') present[k] = v;
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`);
    throw new SinkWriterConfigError(`Invalid sink-writer settings:\n${lines.join('\n')}`);
  }
  const v = parsed.data;
  return {
    sinks: v.SINK_WRITER_SINKS,
    streams: v.SINK_WRITER_STREAMS,
    // SINK_WRITER_GROUP_ID, prefixed by the run's namespace.
    groupId: serviceNames(present).sinkWriterGroupId,
    maxBatch: v.SINK_WRITER_MAX_BATCH,
    maxBatchBytes: v.SINK_WRITER_MAX_BATCH_BYTES,
    maxWaitMs: v.SINK_WRITER_MAX_WAIT_MS,
    concurrency: v.SINK_WRITER_CONCURRENCY,
    pgCopyConnections: v.SINK_WRITER_PG_COPY_CONNECTIONS,
    fromBeginning: v.SINK_WRITER_FROM_BEGINNING,
    lagIntervalMs: v.SINK_WRITER_LAG_INTERVAL_MS,
    sessionTimeoutMs: v.SINK_WRITER_SESSION_TIMEOUT_MS,
    port: v.PORT,
    host: v.HOST,
  };
}
