import { spawn } from 'node:child_process';
import { join } from 'node:path';

const FIXTURE = join(__dirname, 'fixtures', 'log-burst.ts');

interface Burst {
  readonly code: number | null;
  /** The log lines, parsed. */
  readonly lines: {
    n?: number;
    event?: string;
    lines?: number;
    level?: string;
    summary?: number;
  }[];
  /** What the child reported on stderr (its worst event-loop stall), if it got that far. */
  readonly report: { worstStallMs?: number };
}

/**
 * Runs the fixture with its stdout read only after `readAfterMs`: a log collector that falls
 * behind. Node stops reading a paused pipe once its own buffer is full, so the child's pipe
 * fills up.
 */
function burst(args: string[], readAfterMs: number): Promise<Burst> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', FIXTURE, ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const out: Buffer[] = [];
    let err = '';
    child.stdout.pause();
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    let reading: NodeJS.Timeout | undefined;
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
      // ts-node takes a while: the reader's delay counts from the start of the burst.
      if (reading === undefined && err.includes('"started"'))
        reading = setTimeout(() => child.stdout.resume(), readAfterMs);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = Buffer.concat(out)
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Burst['lines'][number]);
      const last = err.trim().split('\n').pop() ?? '';
      resolve({
        code,
        lines,
        report: last.startsWith('{') ? (JSON.parse(last) as Burst['report']) : {},
      });
    });
  });
}

const numbered = (b: Burst): number[] =>
  b.lines.filter((l) => typeof l.n === 'number').map((l) => l.n as number);

describe('LogLineWriter under a reader that falls behind', () => {
  it('keeps the event loop turning and delivers every line once, in order', async () => {
    const result = await burst(['2000', 'stay'], 1_500);
    expect(result.code).toBe(0);
    // pino's synchronous destination would have held the loop for the reader's 1.5 s.
    expect(result.report.worstStallMs).toBeLessThan(500);
    expect(numbered(result)).toEqual([...Array(2000).keys()]);
  }, 60_000);

  it('drops what goes past its bound and reports exactly how many lines it dropped', async () => {
    const result = await burst(['2000', 'stay', String(64 * 1024)], 1_500);
    expect(result.code).toBe(0);
    const received = numbered(result);
    const reports = result.lines.filter((l) => l.event === 'log.lines_dropped');
    expect(reports.length).toBeGreaterThan(0);
    expect(reports.every((r) => r.level === 'warn')).toBe(true);
    const dropped = reports.reduce((sum, r) => sum + (r.lines ?? 0), 0);
    expect(dropped).toBeGreaterThan(0);
    expect(received.length + dropped).toBe(2000);
    // What did arrive arrived once and in order.
    expect(received).toEqual([...received].sort((a, b) => a - b));
    expect(new Set(received).size).toBe(received.length);
  }, 60_000);

  it('reports the lines it dropped shortly before the process exits', async () => {
    // The burst ends and the process exits long before the reader comes.
    const result = await burst(['2000', 'exit', String(64 * 1024)], 1_500);
    expect(result.code).toBe(0);
    const received = numbered(result);
    const reports = result.lines.filter((l) => l.event === 'log.lines_dropped');
    const dropped = reports.reduce((sum, r) => sum + (r.lines ?? 0), 0);
    expect(dropped).toBeGreaterThan(0);
    expect(received.length + dropped).toBe(2000);
    expect(received).toEqual([...received].sort((a, b) => a - b));
  }, 60_000);

  it('writes the lines it holds before the process exits', async () => {
    const result = await burst(['2000', 'exit'], 500);
    expect(result.code).toBe(0);
    expect(numbered(result)).toEqual([...Array(2000).keys()]);
  }, 60_000);

  it('prints program output after every log line before it, even past the exit flush', async () => {
    // The reader comes 3 s late, past the 2 s an exit gives log lines alone.
    const result = await burst(['2000', 'print'], 3_000);
    expect(result.code).toBe(0);
    expect(numbered(result)).toEqual([...Array(2000).keys()]);
    expect(result.lines.at(-1)?.summary).toBe(2000);
  }, 60_000);

  it('never drops program output, even with its log lines past the bound', async () => {
    const result = await burst(['2000', 'print', String(64 * 1024)], 1_500);
    expect(result.code).toBe(0);
    const received = numbered(result);
    expect(received.length).toBeGreaterThan(0);
    expect(received.length).toBeLessThan(2000);
    expect(received).toEqual([...received].sort((a, b) => a - b));
    // How many were dropped is said before the output, which stays last.
    const reports = result.lines.filter((l) => l.event === 'log.lines_dropped');
    expect(received.length + reports.reduce((sum, r) => sum + (r.lines ?? 0), 0)).toBe(2000);
    expect(result.lines.at(-2)?.event).toBe('log.lines_dropped');
    expect(result.lines.at(-1)?.summary).toBe(2000);
  }, 60_000);
});
