import type { TriggerClock } from './ticks';

/**
 * A clock that moves only when told (`advance`), for tests of anything driven by `ticks`:
 * sleepers wake in time order as the clock passes their deadlines.
 */
export class ManualClock implements TriggerClock {
  private sleepers: { until: number; wake: (ok: boolean) => void }[] = [];

  constructor(private current: number) {}

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const sleeper = {
        until: this.current + ms,
        wake: (ok: boolean) => {
          signal.removeEventListener('abort', abort);
          resolve(ok);
        },
      };
      const abort = (): void => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        sleeper.wake(false);
      };
      signal.addEventListener('abort', abort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  /** Moves time forward by `ms`, waking each sleeper whose time came, letting it run between. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const due = this.sleepers
        .filter((s) => s.until <= target)
        .sort((a, b) => a.until - b.until)[0];
      if (due === undefined) break;
      this.current = Math.max(this.current, due.until);
      this.sleepers = this.sleepers.filter((s) => s !== due);
      due.wake(true);
      await settle();
    }
    this.current = target;
    await settle();
  }

  /** How many are waiting (a test can wait until the code under test went to sleep). */
  get waiting(): number {
    return this.sleepers.length;
  }
}

/** Lets pending promise callbacks (and one macrotask turn) run. */
export async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}
