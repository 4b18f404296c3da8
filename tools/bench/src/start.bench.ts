/**
 * `npm start` → every aggregation's dashboard chart has data, in a real browser.
 *
 * There is no native tool to set beside it: the figure is compared with the 90 s a newcomer
 * is promised. It runs plain `npm start` (default namespace and ports), as a newcomer would on
 * a fresh clone, so the default ports must be free: a platform already running would be
 * reused and the figure would mean nothing. For a run from scratch, stop the local stack
 * first (`npm run stack:down`): the time to start it is then part of the figure.
 *
 *   npx tsx tools/bench/src/start.bench.ts
 */
import { spawn, execFileSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { chromium } from 'playwright-core';
import { REPO_ROOT, report } from './harness';

const PORTS = [8080, 8081, 8083, 8092];
const LIMIT_MS = 300_000;

/** True when something answers on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function main(): Promise<void> {
  for (const port of PORTS) {
    if (await listening(port))
      throw new Error(`port ${port} is taken: stop the running platform first (its Ctrl-C)`);
  }
  const stackRunning = await listening(9092);
  const started = Date.now();
  const seconds = (): number => (Date.now() - started) / 1000;
  const child = spawn('npm', ['start'], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const marks: Record<string, number> = stackRunning ? { stack: 0 } : {};
  let output = '';
  const dashboard = new Promise<string>((resolve, reject) => {
    const read = (chunk: Buffer): void => {
      output += chunk.toString();
      if (marks['stack'] === undefined && /\[stack\] ready|local stack: .*running/.test(output))
        marks['stack'] = seconds();
      if (marks['services'] === undefined && /aggregator: (started|already running)/.test(output))
        marks['services'] = seconds();
      const url = /(http:\/\/\S+\/dashboard#key=\S+)/.exec(output);
      if (url !== null) resolve(url[1] as string);
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => reject(new Error(`npm start exited ${code}:\n${output}`)));
  });
  const stop = async (): Promise<number> => {
    const at = Date.now();
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    process.kill(-(child.pid as number), 'SIGINT');
    await exited;
    return (Date.now() - at) / 1000;
  };

  let browser;
  try {
    const url = await dashboard;
    marks['printed'] = seconds();
    browser = await chromium.launch({
      executablePath: execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim(),
    });
    const page = await browser.newPage();
    await page.goto(url);
    // The charts of the aggregations (the page also has the events-per-second chart, "rates").
    await page.waitForFunction(
      `document.querySelectorAll('[data-testid^="chart-"]:not([data-testid="chart-rates"])').length > 0`,
      undefined,
      { timeout: LIMIT_MS },
    );
    await page.waitForFunction(
      `[...document.querySelectorAll('[data-testid^="chart-"]:not([data-testid="chart-rates"])')]` +
        `.every((c) => Number(document.body.getAttribute('data-agg-' + c.getAttribute('data-testid').slice(6))) > 0)`,
      undefined,
      { timeout: LIMIT_MS, polling: 250 },
    );
    marks['charts'] = seconds();
  } finally {
    await browser?.close();
    marks['shutdown'] = await stop();
  }
  const row = (measure: string, mark: string, note: string) => ({
    measure,
    ours: (marks[mark] ?? NaN) * 1000,
    unit: 'ms',
    note,
  });
  report(
    'start',
    [
      row('local stack answering', 'stack', stackRunning ? 'was running' : 'started by npm start'),
      row('services ready', 'services', 'registry, gateway, aggregator, sink writer: /readyz'),
      row('dashboard URL printed', 'printed', 'after the generator sent its history'),
      row('every aggregation charted', 'charts', 'the promise: within 90 s'),
      row('Ctrl-C to exit', 'shutdown', 'each service drains'),
    ],
    { stackRunningBefore: stackRunning },
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
