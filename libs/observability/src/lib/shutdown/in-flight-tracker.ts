/**
 * Counts work in progress so shutdown can wait for it. Consumers wrap each batch:
 * `await tracker.run(() => processBatch(batch))`. Framework-free; `DrainService` owns one.
 */
export class InFlightTracker {
  private active = 0;
  private draining = false;
  private idleWaiters: Array<() => void> = [];
  private drainListeners: Array<(reason: string) => void> = [];

  /** Work currently running. */
  get inFlight(): number {
    return this.active;
  }

  /** True once shutdown began: readiness reports 503, consumers should stop fetching. */
  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * Runs `work` and counts it until it settles. Work started while draining still runs
   * (a batch already fetched must be finished and committed, not dropped) and is waited for.
   */
  async run<T>(work: () => T | Promise<T>): Promise<T> {
    this.enter();
    try {
      return await work();
    } finally {
      this.leave();
    }
  }

  /**
   * Counts one piece of work in, until its {@link leave}: for work that ends in a callback
   * (an HTTP response's `close`), with no promise to wait on. Every `enter` needs one `leave`.
   */
  enter(): void {
    this.active += 1;
  }

  leave(): void {
    this.active -= 1;
    if (this.active === 0) this.notifyIdle();
  }

  /** Marks the process as draining; idempotent. Listeners run once, synchronously. */
  startDraining(reason = 'shutdown'): void {
    if (this.draining) return;
    this.draining = true;
    const listeners = this.drainListeners;
    this.drainListeners = [];
    for (const listener of listeners) listener(reason);
  }

  /** Called once when draining starts (at once if it already has). */
  onDrain(listener: (reason: string) => void): void {
    if (this.draining) listener('shutdown');
    else this.drainListeners.push(listener);
  }

  /** Resolves `true` when nothing is in flight, or `false` after `timeoutMs`. */
  waitForIdle(timeoutMs: number): Promise<boolean> {
    if (this.active === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((waiter) => waiter !== done);
        resolve(false);
      }, timeoutMs);
      this.idleWaiters.push(done);
    });
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) waiter();
  }
}
