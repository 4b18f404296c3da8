import type { Schedule } from './schedule';

/** Time as the trigger sees it: the wall clock in services, a manual one in tests. */
export interface TriggerClock {
  now(): number;
  /** Resolves after `ms`, or early (false) once `signal` is aborted. */
  sleep(ms: number, signal: AbortSignal): Promise<boolean>;
}

/** Decides per tick whether this replica fires (a leader lock); absent, it always does. */
export interface TickGate {
  tryAcquire(): Promise<boolean>;
}

export interface Tick {
  /** 1 for the first tick this replica fired. */
  readonly number: number;
  /** The scheduled time (epoch ms). */
  readonly scheduledAt: number;
  /** When it actually fired. */
  readonly firedAt: number;
}

export interface TicksOptions {
  readonly clock: TriggerClock;
  readonly signal: AbortSignal;
  readonly gate?: TickGate;
  /**
   * Scheduled times that passed while the previous tick's work was still running. They are
   * not run (the next tick is the first one still ahead); this is told so they can be logged.
   */
  readonly onMissed?: (missed: {
    readonly count: number;
    readonly first: number;
    readonly last: number;
  }) => void;
  /** A tick another replica holds the gate for: this one stands by. */
  readonly onStandby?: (scheduledAt: number) => void;
}

/**
 * The ticks of `schedule`, from now until `signal` is aborted. Each is yielded when it is
 * due; the consumer does its work before asking for the next one, so ticks never overlap.
 * A tick whose time passed during that work is reported through `onMissed` and skipped, never
 * run late or twice. With a `gate`, a tick fires only when the gate says so.
 */
export async function* ticks(schedule: Schedule, options: TicksOptions): AsyncGenerator<Tick> {
  const { clock, signal } = options;
  let due = schedule.first(clock.now());
  let fired = 0;
  while (!signal.aborted) {
    const wait = due - clock.now();
    if (wait > 0 && !(await clock.sleep(wait, signal))) return;
    if (signal.aborted) return;
    if (options.gate === undefined || (await options.gate.tryAcquire())) {
      fired++;
      yield { number: fired, scheduledAt: due, firedAt: clock.now() };
    } else {
      options.onStandby?.(due);
    }
    const now = clock.now();
    let next = schedule.next(due);
    let missed = 0;
    const first = next;
    let last = next;
    while (next <= now) {
      missed++;
      last = next;
      next = schedule.next(next);
    }
    if (missed > 0) options.onMissed?.({ count: missed, first, last });
    due = next;
  }
}

/** The process's clock: `Date.now` and timers that end on abort. */
export const systemClock: TriggerClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<boolean>((resolve) => {
      if (signal.aborted) {
        resolve(false);
        return;
      }
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve(!signal.aborted);
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    }),
};
