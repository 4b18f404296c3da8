// A CLI of this repo as a killable child process (runTs only runs one to completion).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '@platform/testing';

const NODE_ARGS = ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'];

export interface CliProcess {
  readonly pid: number;
  /** The exit code, or null when a signal ended it. */
  readonly exited: Promise<number | null>;
  /** The last few kilobytes it printed, for failure messages. */
  output(): string;
  /** SIGKILL: a crash, no chance to finish a transaction or leave the group. */
  crash(): Promise<void>;
}

export function startCli(
  entry: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): CliProcess {
  const child = spawn(process.execPath, [...NODE_ARGS, entry, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, TS_NODE_PROJECT: join(REPO_ROOT, 'tsconfig.json'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-16_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return {
    pid: child.pid ?? -1,
    exited,
    output: () => output,
    crash: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
