import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

// The real thing: a child Node process running a small Nest app with ObservabilityModule,
// a slow in-flight task, a real SIGTERM, and the exit code.
const REPO_ROOT = join(__dirname, '../../../../..');
const FIXTURE = join(__dirname, '../testing/drain-app.fixture.ts');

interface Child {
  readonly process: ChildProcess;
  readonly records: Array<Record<string, unknown>>;
  readonly url: Promise<string>;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startFixture(env: Record<string, string> = {}): Child {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', FIXTURE],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const records: Array<Record<string, unknown>> = [];
  let stderr = '';
  let resolveUrl!: (url: string) => void;
  const url = new Promise<string>((resolve) => (resolveUrl = resolve));
  let buffered = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      const record = JSON.parse(line) as Record<string, unknown>;
      records.push(record);
      if (record['event'] === 'fixture.listening') resolveUrl(record['url'] as string);
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  void exit.then(({ code }) => {
    if (code !== 0 && stderr !== '') process.stderr.write(`fixture stderr:\n${stderr}\n`);
  });
  return { process: child, records, url, exit };
}

/**
 * GET /readyz until the process exits. Answers before the signal reaches the child may
 * still be 200; those are dropped, so the result starts at the first non-200 answer.
 */
async function pollReadiness(
  url: string,
  until: Promise<unknown>,
): Promise<Array<number | 'refused'>> {
  const seen: Array<number | 'refused'> = [];
  let done = false;
  void until.then(() => (done = true));
  while (!done) {
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
      seen.push(response.status);
    } catch {
      seen.push('refused');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const first = seen.findIndex((status) => status !== 200);
  return first === -1 ? [] : seen.slice(first);
}

describe('graceful shutdown of a real process', () => {
  let child: Child | undefined;

  afterEach(() => {
    if (child?.process.exitCode === null) child.process.kill('SIGKILL');
  });

  it('on SIGTERM turns readiness 503, finishes the in-flight task, then exits with 0', async () => {
    child = startFixture({ WORK_MS: '1500' });
    const url = await child.url;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    const accepted = await fetch(`${url}/work`, { method: 'POST' });
    expect(accepted.status).toBe(202);
    const signalledAt = Date.now();
    child.process.kill('SIGTERM');

    const [readiness, exit] = await Promise.all([pollReadiness(url, child.exit), child.exit]);
    const events = child.records.map((record) => record['event']).filter(Boolean);

    expect(exit).toEqual({ code: 0, signal: null });
    expect(readiness[0]).toBe(503);
    expect(readiness.every((status) => status === 503 || status === 'refused')).toBe(true);
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(1_200);
    expect(events.indexOf('fixture.work.done')).toBeGreaterThan(
      events.indexOf('shutdown.draining'),
    );
    expect(events.indexOf('fixture.work.done')).toBeLessThan(events.indexOf('shutdown.closed'));
    // The HTTP instrumentation (started before Nest) put the request in a trace.
    const workRequest = child.records.find(
      (record) => record['event'] === 'http.request' && record['url'] === '/work',
    );
    expect(workRequest).toMatchObject({ method: 'POST', status: 202 });
    expect(workRequest?.['trace_id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('also drains under app.enableShutdownHooks(), with readiness down at once', async () => {
    child = startFixture({ WORK_MS: '1500', SHUTDOWN: 'hooks' });
    const url = await child.url;
    expect((await fetch(`${url}/work`, { method: 'POST' })).status).toBe(202);
    child.process.kill('SIGTERM');

    const [readiness, exit] = await Promise.all([pollReadiness(url, child.exit), child.exit]);
    const events = child.records.map((record) => record['event']).filter(Boolean);

    // Nest re-raises the signal once its hooks are done.
    expect(exit.signal === 'SIGTERM' || exit.code === 0).toBe(true);
    expect(readiness[0]).toBe(503);
    expect(events).toEqual(
      expect.arrayContaining(['shutdown.draining', 'fixture.work.done', 'shutdown.drained']),
    );
  });
});
