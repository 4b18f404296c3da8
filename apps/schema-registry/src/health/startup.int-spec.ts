import { freePort, startProcess } from '@platform/testing';

describe('schema registry: start-up failures are printed', () => {
  it('exits non-zero with a JSON line naming an unreachable PostgreSQL and why', async () => {
    const closedPort = await freePort(); // free a moment ago: nothing listens there
    const child = startProcess('apps/schema-registry/src/main.ts', [], {
      ENVIRONMENT: 'test',
      LOG_LEVEL: 'info',
      PORT: '0',
      HOST: '127.0.0.1',
      PLATFORM__postgres__port: String(closedPort),
    });
    expect(await child.exited).toBe(1);
    const lines = child
      .output()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const address = `127.0.0.1:${closedPort}`;
    expect(
      lines.some((l) => JSON.stringify(l).includes(`PostgreSQL is unreachable at ${address}`)),
    ).toBe(true);
    expect(lines.find((l) => l['event'] === 'startup_failed')).toMatchObject({
      level: 'fatal',
      app: 'schema-registry',
      err: { message: expect.stringContaining(`PostgreSQL is unreachable at ${address}`) },
    });
  });
});
