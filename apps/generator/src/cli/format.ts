import type { GenerationResult, Progress } from '../generation/generation-loop';

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const money = new Intl.NumberFormat('en-US', {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

export interface ProgressTarget {
  /** Events to generate, when the run is bounded by a count. */
  readonly count?: number;
  /** Run length, when the run is bounded by time. */
  readonly durationMs?: number;
}

/** `[#####.....] 52% 52,000/100,000 48,900 ev/s` (a duration run shows seconds instead). */
export function formatProgressBar(
  progress: Progress,
  target: ProgressTarget,
  ratePerSec: number,
  width = 30,
): string {
  const fraction =
    target.count !== undefined
      ? target.count === 0
        ? 1
        : progress.generated / target.count
      : target.durationMs !== undefined
        ? progress.elapsedMs / target.durationMs
        : 0;
  const clamped = Math.max(0, Math.min(1, fraction));
  const filled = Math.round(clamped * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const pct = `${Math.floor(clamped * 100)}%`;
  const amount =
    target.count !== undefined
      ? `${int.format(progress.generated)}/${int.format(target.count)}`
      : `${int.format(progress.generated)} in ${(progress.elapsedMs / 1000).toFixed(0)}s/${((target.durationMs ?? 0) / 1000).toFixed(0)}s`;
  const errors = progress.errors > 0 ? ` ${int.format(progress.errors)} errors` : '';
  return `${bar} ${pct} ${amount} ${int.format(ratePerSec)} ev/s${errors}`;
}

/** One line for logs and CI, where a redrawn bar would be noise. */
export function formatProgressLine(
  progress: Progress,
  target: ProgressTarget,
  ratePerSec: number,
): string {
  const of = target.count !== undefined ? `/${int.format(target.count)}` : '';
  return (
    `progress: generated ${int.format(progress.generated)}${of}, sent ${int.format(progress.sent)}, ` +
    `errors ${int.format(progress.errors)}, ${int.format(ratePerSec)} ev/s, ${(progress.elapsedMs / 1000).toFixed(1)}s`
  );
}

/** Events a second over a sliding window of recent samples. */
export class RateMeter {
  private readonly samples: { t: number; n: number }[] = [];

  constructor(private readonly windowMs = 2_000) {}

  add(t: number, n: number): number {
    this.samples.push({ t, n });
    while (this.samples.length > 2 && t - (this.samples[0]?.t ?? t) > this.windowMs)
      this.samples.shift();
    const first = this.samples[0];
    if (first === undefined || t <= first.t) return 0;
    return ((n - first.n) * 1000) / (t - first.t);
  }
}

export interface SummaryJson {
  readonly ok: boolean;
  /** Where the events came from: `synthetic`, `csv`, `http-poll`, a plugin's source. */
  readonly source: string;
  readonly target: string;
  readonly domain: string;
  readonly environment: string;
  /** The synthetic source's seed; null for a source that has none (a CSV replay). */
  readonly seed: number | null;
  readonly generated: number;
  readonly sent: number;
  /** Events not acknowledged plus records the source rejected. */
  readonly errors: number;
  /** Records the source read but could not turn into contract events (each reported on stderr). */
  readonly rejected: number;
  readonly elapsedMs: number;
  readonly ratePerSec: number;
  readonly stoppedBy: string;
  readonly error: string | null;
  readonly countsByType: Readonly<Record<string, number>>;
  /** How the synthetic source delivered events (in order, out of order, too late); `{}` for other sources, which do not know. */
  readonly countsByDelivery: Readonly<Record<string, number>>;
  /** Sum of the domain's revenue field; null when its model has none. */
  readonly revenueSum: number | null;
  readonly revenueCents: number | null;
  readonly firstTimestamp: number | null;
  readonly lastTimestamp: number | null;
  /** Event type → topic, for a Kafka run. */
  readonly topics: Readonly<Record<string, string>>;
}

export function toSummaryJson(
  result: GenerationResult,
  run: {
    /** Default `synthetic`. */
    readonly source?: string;
    /** Records the source rejected; they count as errors. Default 0. */
    readonly rejected?: number;
    readonly target: string;
    readonly domain: string;
    readonly environment: string;
    readonly seed: number;
    readonly topics?: Readonly<Record<string, string>>;
    /** Whether the domain's model has the revenue field the summary adds up. Default true. */
    readonly revenue?: boolean;
  },
): SummaryJson {
  const { summary } = result;
  const rejected = run.rejected ?? 0;
  const synthetic = (run.source ?? 'synthetic') === 'synthetic';
  const revenue = run.revenue ?? true;
  return {
    ok: result.errors === 0 && result.firstError === undefined && rejected === 0,
    source: run.source ?? 'synthetic',
    target: run.target,
    domain: run.domain,
    environment: run.environment,
    seed: synthetic ? run.seed : null,
    generated: result.generated,
    sent: result.sent,
    errors: result.errors + rejected,
    rejected,
    elapsedMs: Math.round(result.elapsedMs),
    ratePerSec: result.elapsedMs > 0 ? Math.round((result.sent * 1000) / result.elapsedMs) : 0,
    stoppedBy: result.stoppedBy,
    error: result.firstError ?? null,
    countsByType: summary.countsByType,
    countsByDelivery: synthetic ? summary.countsByDelivery : {},
    revenueSum: revenue ? summary.revenueSum : null,
    revenueCents: revenue ? summary.revenueCents : null,
    firstTimestamp: summary.firstTimestamp,
    lastTimestamp: summary.lastTimestamp,
    topics: run.topics ?? {},
  };
}

/** The end-of-run report, for a human. */
export function formatSummary(s: SummaryJson): string {
  const types = Object.entries(s.countsByType);
  const pad = Math.max(...types.map(([t]) => t.length), 'beyond_lateness'.length);
  const lines = [
    `${s.ok ? 'Done' : 'FAILED'}: ${int.format(s.sent)} sent, ${int.format(s.errors)} errors, ` +
      `${int.format(s.generated)} generated in ${(s.elapsedMs / 1000).toFixed(1)}s ` +
      `(${int.format(s.ratePerSec)} ev/s) ` +
      (s.seed !== null
        ? `to ${s.target} [${s.domain}/${s.environment}, seed ${s.seed}]`
        : `from ${s.source} to ${s.target} [${s.domain}/${s.environment}]`),
    ...types.map(([type, n]) => `  ${type.padEnd(pad)} ${int.format(n).padStart(12)}`),
  ];
  const late =
    (s.countsByDelivery['out_of_order'] ?? 0) + (s.countsByDelivery['beyond_lateness'] ?? 0);
  if (late > 0) {
    for (const kind of ['out_of_order', 'beyond_lateness']) {
      lines.push(`  ${kind.padEnd(pad)} ${int.format(s.countsByDelivery[kind] ?? 0).padStart(12)}`);
    }
  }
  if (s.revenueSum !== null) {
    lines.push(`  ${'revenue'.padEnd(pad)} ${money.format(s.revenueSum).padStart(12)}`);
  }
  if (s.firstTimestamp !== null && s.lastTimestamp !== null) {
    lines.push(
      `  event time ${new Date(s.firstTimestamp).toISOString()} .. ${new Date(s.lastTimestamp).toISOString()}`,
    );
  }
  if (s.rejected > 0) {
    lines.push(
      `  ${'rejected'.padEnd(pad)} ${int.format(s.rejected).padStart(12)} (reasons above)`,
    );
  }
  if (s.error !== null) lines.push(`  first error: ${s.error}`);
  return lines.join('\n');
}
