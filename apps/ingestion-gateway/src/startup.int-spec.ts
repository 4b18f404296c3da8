import { freePort, startProcess } from '@platform/testing';

/** Runs the gateway's main until it exits; its exit code and every line it printed. */
async function boot(
  env: Record<string, string>,
): Promise<{ code: number | null; lines: string[] }> {
  const child = startProcess('apps/ingestion-gateway/src/main.ts', [], {
    ENVIRONMENT: 'test',
    LOG_LEVEL: 'info',
    PORT: '0',
    HOST: '127.0.0.1',
    GATEWAY_SUBSCRIPTIONS_ENABLED: 'false',
    ...env,
  });
  const code = await child.exited;
  return {
    code,
    lines: child
      .output()
      .split('\n')
      .filter((l) => l.trim() !== ''),
  };
}

/** Every line is a JSON object (no ANSI-coloured Nest text); the start-up failure among them. */
function startupFailure(lines: readonly string[]): { err: { message: string } } {
  const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const failure = parsed.find((l) => l['event'] === 'startup_failed');
  expect(failure).toMatchObject({ level: 'fatal', app: 'ingestion-gateway' });
  return failure as unknown as { err: { message: string } };
}

describe('ingestion gateway: start-up failures are printed', () => {
  let closedPort: number;

  beforeAll(async () => {
    closedPort = await freePort(); // free a moment ago: nothing listens there
  });

  it('exits non-zero with a JSON line naming an unreachable broker and why', async () => {
    const { code, lines } = await boot({ KAFKA_BOOTSTRAP_URI: `127.0.0.1:${closedPort}` });
    expect(code).toBe(1);
    expect(startupFailure(lines).err.message).toBe(
      `Kafka is unreachable at 127.0.0.1:${closedPort} (connect ECONNREFUSED 127.0.0.1:${closedPort})`,
    );
  });

  it('exits non-zero with a JSON line naming an unreachable PostgreSQL and why', async () => {
    const { code, lines } = await boot({ PLATFORM__postgres__port: String(closedPort) });
    expect(code).toBe(1);
    expect(startupFailure(lines).err.message).toContain(
      `PostgreSQL is unreachable at 127.0.0.1:${closedPort} (connect ECONNREFUSED`,
    );
  });

  it('exits non-zero with a JSON line listing bad settings', async () => {
    const { code, lines } = await boot({ GATEWAY_MAX_BATCH_EVENTS: 'lots' });
    expect(code).toBe(1);
    expect(startupFailure(lines).err.message).toContain('GATEWAY_MAX_BATCH_EVENTS="lots"');
  });
});
