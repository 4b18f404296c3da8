import { StackError } from './errors';
import { runChecked, which } from './process';
import type { Logger } from './types';

/** A Debian package, and the executable whose presence tells us it is installed. */
export interface AptPackage {
  pkg: string;
  bin: string;
}

let updated = false;

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Installs the missing packages with apt-get (non-interactive; `apt-get update` once per process).
 * When not root, fails with the command the user should run.
 */
export async function ensurePackages(pkgs: AptPackage[], log: Logger): Promise<void> {
  // The executable decides: psql from postgresql-client-15 counts, even without the postgresql-client metapackage.
  const missing = pkgs.filter((p) => !which(p.bin));
  if (missing.length === 0) return;
  const names = missing.map((p) => p.pkg);
  if (!isRoot()) {
    throw new StackError(
      `missing ${names.join(', ')}; install with: sudo apt-get install -y ${names.join(' ')}`,
    );
  }
  if (!which('apt-get')) {
    throw new StackError(
      `missing ${names.join(', ')} and apt-get is not available (local-stack expects Debian)`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const lockWait = ['-o', 'DPkg::Lock::Timeout=300'];
  if (!updated) {
    log(`apt-get update (to install ${names.join(', ')})`);
    await runChecked('apt-get', [...lockWait, 'update', '-q'], 'apt-get update', {
      env,
      timeoutMs: 600_000,
    });
    updated = true;
  }
  log(`apt-get install -y ${names.join(' ')}`);
  await runChecked(
    'apt-get',
    [...lockWait, 'install', '-y', '-q', '--no-install-recommends', ...names],
    `apt-get install ${names.join(' ')}`,
    {
      env,
      timeoutMs: 900_000,
    },
  );
  for (const p of missing) {
    if (!which(p.bin))
      throw new StackError(`apt-get installed ${p.pkg} but ${p.bin} is still not on PATH`);
  }
}
