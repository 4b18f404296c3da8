import { Cron } from 'croner';

/** When a trigger fires: at a fixed rate, or on a cron expression (UTC unless a zone is named). */
export type TriggerSpec =
  | { readonly kind: 'every'; readonly everyMs: number }
  | { readonly kind: 'cron'; readonly expression: string; readonly timezone?: string };

/** The fire times of a trigger, computed from a start instant (epoch ms). Pure. */
export interface Schedule {
  readonly description: string;
  /** The first fire time for a trigger started at `startMs`. */
  first(startMs: number): number;
  /** The fire time that follows `previousMs`, strictly after it. */
  next(previousMs: number): number;
}

/** A trigger spec that cannot be scheduled, with the reason. */
export class TriggerSpecError extends Error {
  override readonly name = 'TriggerSpecError';
}

/**
 * The schedule of `spec`. `every` fires at once and then every `everyMs` after that first
 * time (a fixed rate: a slow run does not shift the later times); `cron` fires at the
 * expression's times (five fields, or six with seconds first).
 */
export function scheduleOf(spec: TriggerSpec): Schedule {
  if (spec.kind === 'every') {
    const every = spec.everyMs;
    if (!Number.isInteger(every) || every < 1)
      throw new TriggerSpecError(`an interval must be a positive number of ms, got ${every}`);
    return {
      description: `every ${formatMs(every)}`,
      first: (startMs) => startMs,
      next: (previousMs) => previousMs + every,
    };
  }
  const timezone = spec.timezone ?? 'UTC';
  let cron: Cron;
  try {
    cron = new Cron(spec.expression, { timezone, paused: true });
  } catch (e) {
    throw new TriggerSpecError(
      `cron ${JSON.stringify(spec.expression)}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const after = (ms: number): number => {
    const next = cron.nextRun(new Date(ms));
    if (next === null)
      throw new TriggerSpecError(`cron ${JSON.stringify(spec.expression)} never fires again`);
    return next.getTime();
  };
  // A cron without any future time is refused up front, not at its first tick.
  after(0);
  return {
    description: `cron '${spec.expression}' (${timezone})`,
    first: (startMs) => after(startMs - 1),
    next: (previousMs) => after(previousMs),
  };
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}
