import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { failureLine } from './process-failures';

const FIXTURE = join(__dirname, 'fixtures', 'fail.ts');

function run(...args: string[]): { status: number | null; stdout: string; lines: unknown[] } {
  const child = spawnSync(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', FIXTURE, ...args],
    { encoding: 'utf8', timeout: 60_000 },
  );
  const lines = child.stderr
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);
  return { status: child.status, stdout: child.stdout, lines };
}

describe('installProcessFailureHandler', () => {
  it('prints one JSON line with the error and the app name for an uncaught exception, and exits 1', () => {
    const { status, lines } = run('throw');
    expect(status).toBe(1);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'fatal',
        app: 'fixture-app',
        event: 'uncaught_exception',
        err: expect.objectContaining({ type: 'Error', message: 'boom: thrown' }),
      }),
    ]);
  });

  it('does the same for an unhandled rejection, keeping the error code', () => {
    const { status, lines } = run('reject');
    expect(status).toBe(1);
    expect(lines).toEqual([
      expect.objectContaining({
        app: 'fixture-app',
        event: 'unhandled_rejection',
        err: expect.objectContaining({ message: 'boom: rejected', code: 'E_FIXTURE' }),
      }),
    ]);
  });

  it('drains before it exits when given a drain', () => {
    const { status, stdout, lines } = run('reject-string', 'drain');
    expect(status).toBe(1);
    expect(stdout).toBe('drained\n');
    expect(lines).toEqual([
      expect.objectContaining({
        event: 'unhandled_rejection',
        err: { type: 'string', message: 'not an error' },
      }),
    ]);
  });
});

describe(failureLine.name, () => {
  it('is one line of JSON, with the cause of an error', () => {
    const line = failureLine(
      'svc',
      'startup_failed',
      new Error('outer', { cause: new Error('inner') }),
    );
    expect(line.endsWith('\n')).toBe(true);
    expect(line.trimEnd()).not.toContain('\n');
    expect(JSON.parse(line)).toMatchObject({
      service: 'svc',
      app: 'svc',
      event: 'startup_failed',
      err: { message: 'outer', cause: { message: 'inner' } },
    });
  });
});
