import { InFlightTracker } from './in-flight-tracker';

describe(InFlightTracker.name, () => {
  it('counts work while it runs and returns its result', async () => {
    const tracker = new InFlightTracker();
    let release!: () => void;
    const work = tracker.run(
      () => new Promise<string>((resolve) => (release = () => resolve('done'))),
    );
    expect(tracker.inFlight).toBe(1);
    release();
    await expect(work).resolves.toBe('done');
    expect(tracker.inFlight).toBe(0);
  });

  it('stops counting failed work and rethrows', async () => {
    const tracker = new InFlightTracker();
    await expect(tracker.run(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(tracker.inFlight).toBe(0);
  });

  it('waits for in-flight work to finish', async () => {
    const tracker = new InFlightTracker();
    void tracker.run(() => new Promise((resolve) => setTimeout(resolve, 30)));
    tracker.startDraining();
    expect(tracker.isDraining).toBe(true);
    await expect(tracker.waitForIdle(1_000)).resolves.toBe(true);
    expect(tracker.inFlight).toBe(0);
  });

  it('counts entered work until it leaves, and a drain waits for it', async () => {
    const tracker = new InFlightTracker();
    tracker.enter();
    tracker.enter();
    expect(tracker.inFlight).toBe(2);
    tracker.startDraining();
    const idle = tracker.waitForIdle(1_000);
    tracker.leave();
    expect(tracker.inFlight).toBe(1);
    setTimeout(() => tracker.leave(), 10);
    await expect(idle).resolves.toBe(true);
    expect(tracker.inFlight).toBe(0);
  });

  it('gives up waiting after the timeout', async () => {
    const tracker = new InFlightTracker();
    void tracker.run(() => new Promise((resolve) => setTimeout(resolve, 500)));
    await expect(tracker.waitForIdle(20)).resolves.toBe(false);
    expect(tracker.inFlight).toBe(1);
  });

  it('answers at once when idle and tells drain listeners once', async () => {
    const tracker = new InFlightTracker();
    const reasons: string[] = [];
    tracker.onDrain((reason) => reasons.push(reason));
    await expect(tracker.waitForIdle(10)).resolves.toBe(true);
    tracker.startDraining('SIGTERM');
    tracker.startDraining('SIGINT');
    expect(reasons).toEqual(['SIGTERM']);
  });
});
