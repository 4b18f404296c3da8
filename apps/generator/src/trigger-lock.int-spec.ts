import { load } from '@platform/config';
import { runTs, uniqueName } from '@platform/testing';
import { ManualClock, scheduleOf, settle, ticks, type Tick } from '@platform/triggers';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdvisoryLockGate } from './sources/advisory-lock-gate';

/**
 * Two replicas of a triggered source share a PostgreSQL advisory lock: each tick fires once
 * between them, and the other takes over when the holder goes away. First with a manual clock
 * over the real lock, then with two real `generator run --source http-poll` processes.
 */
describe('trigger lock: two replicas, one fires', () => {
  it('fires each tick on the lock holder only, and hands over when the holder closes', async () => {
    const config = await load({ environment: 'test' });
    const name = uniqueName('trigger');
    const clock = new ManualClock(Date.UTC(2024, 0, 1));
    const replica = (gate: AdvisoryLockGate) => {
      const controller = new AbortController();
      const fired: Tick[] = [];
      const done = (async () => {
        for await (const tick of ticks(scheduleOf({ kind: 'every', everyMs: 10_000 }), {
          clock,
          signal: controller.signal,
          gate,
        }))
          fired.push(tick);
      })();
      return {
        fired,
        stop: async () => {
          controller.abort();
          await done;
          await gate.close();
        },
      };
    };
    const a = replica(new AdvisoryLockGate(config.postgres, name));
    // a takes the lock at its first tick before b starts
    await eventuallyTrue(() => a.fired.length === 1);
    const b = replica(new AdvisoryLockGate(config.postgres, name));
    await waitAsleep(clock, 2);
    for (let i = 0; i < 5; i++) {
      await clock.advance(10_000);
      await waitAsleep(clock, 2);
    }
    expect(a.fired).toHaveLength(6);
    expect(b.fired).toHaveLength(0);

    await a.stop();
    await clock.advance(10_000);
    await waitAsleep(clock, 1);
    await clock.advance(10_000);
    await waitAsleep(clock, 1);
    await b.stop();
    expect(b.fired).toHaveLength(2);
  });

  it('two generator processes polling with the same --trigger-lock: one polls, the other stands by', async () => {
    let requests = 0;
    const server: Server = createServer((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify([
          { id: requests, user_id: `u${requests}`, device_type: 'mobile', country: 'US' },
        ]),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/views`;
    const lock = uniqueName('poll');
    const args = [
      'run',
      '--env',
      'test',
      '--source',
      'http-poll',
      '--url',
      url,
      '--event-type',
      'page_view',
      '--every',
      '250ms',
      '--trigger-lock',
      lock,
      '--duration',
      '6s',
      '--dry-run',
      '--no-progress',
    ];
    try {
      const [one, two] = await Promise.all([
        runTs('apps/generator/src/cli.ts', args, {}, 60_000),
        runTs('apps/generator/src/cli.ts', args, {}, 60_000),
      ]);
      // The request number each replica's events carry (user u<n> comes from request n).
      const polls = [one, two].map((r) =>
        r.stdout
          .split('\n')
          .filter((l) => l !== '')
          .map((l) =>
            Number((JSON.parse(l) as { event: { user_id: string } }).event.user_id.slice(1)),
          )
          .sort((x, y) => x - y),
      );
      // Together they made every request, and never at the same time: the replica that started
      // later stood by while the first held the lock, and took over only once it had exited.
      expect([...(polls[0] ?? []), ...(polls[1] ?? [])].sort((x, y) => x - y)).toEqual(
        Array.from({ length: requests }, (_, i) => i + 1),
      );
      const [first, second] = [...polls].sort((x, y) => (x[0] ?? Infinity) - (y[0] ?? Infinity));
      expect(first?.length).toBeGreaterThan(10);
      expect(first?.[first.length - 1]).toBe(first?.length ?? 0);
      expect(second?.every((n) => n > (first?.length ?? 0))).toBe(true);
      expect(`${one.stderr}${two.stderr}`).toContain(`standing by: trigger lock ${lock}`);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 90_000);
});

async function eventuallyTrue(probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits (in real time) until `n` loops sleep on the manual clock: each handled its tick. */
async function waitAsleep(clock: ManualClock, n: number): Promise<void> {
  await eventuallyTrue(() => clock.waiting >= n);
  await settle();
}
