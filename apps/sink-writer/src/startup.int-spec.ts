import { freePort, startProcess } from '@platform/testing';

/** Runs the sink writer's main until it exits; its exit code and every line it printed. */
async function boot(
  env: Record<string, string>,
): Promise<{ code: number | null; lines: Record<string, unknown>[] }> {
  const child = startProcess('apps/sink-writer/src/main.ts', [], {
    ENVIRONMENT: 'test',
    LOG_LEVEL: 'info',
    PORT: '0',
    HOST: '127.0.0.1',
    ...env,
  });
  const code = await child.exited;
  const lines = child
    .output()
    .split('\n')
    .filter((l) => l.trim() !== '')
    // Every line is a JSON object: no buffered or ANSI-coloured Nest text.
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, lines };
}

function failureMessage(lines: readonly Record<string, unknown>[]): string {
  const failure = lines.find((l) => l['event'] === 'startup_failed');
  expect(failure).toMatchObject({ level: 'fatal', app: 'sink-writer' });
  return (failure as { err: { message: string } }).err.message;
}

describe('sink writer: start-up failures are printed at once', () => {
  let closedPort: number;

  beforeAll(async () => {
    closedPort = await freePort(); // free a moment ago: nothing listens there
  });

  it('exits 1 with a JSON line naming an unreachable broker and why', async () => {
    const { code, lines } = await boot({ KAFKA_BOOTSTRAP_URI: `127.0.0.1:${closedPort}` });
    expect(code).toBe(1);
    expect(failureMessage(lines)).toBe(
      `Kafka is unreachable at 127.0.0.1:${closedPort} (connect ECONNREFUSED 127.0.0.1:${closedPort})`,
    );
  });

  it('exits 1 with a JSON line naming an unreachable PostgreSQL or ClickHouse', async () => {
    const pg = await boot({ PLATFORM__postgres__port: String(closedPort) });
    expect(pg.code).toBe(1);
    expect(failureMessage(pg.lines)).toContain(
      `PostgreSQL is unreachable at 127.0.0.1:${closedPort}`,
    );
    const ch = await boot({ PLATFORM__clickhouse__url: `http://127.0.0.1:${closedPort}` });
    expect(ch.code).toBe(1);
    expect(failureMessage(ch.lines)).toContain(
      `ClickHouse is unreachable at 127.0.0.1:${closedPort}`,
    );
  });
});
