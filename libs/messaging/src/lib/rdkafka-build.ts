/**
 * Builds `@confluentinc/kafka-javascript` (librdkafka's Node binding) after `npm ci`/`npm install`;
 * the root package's `postinstall` runs it. The package's own install script is denied in
 * `allowScripts`: it would first download a prebuilt binary from GitHub, then build librdkafka
 * statically, downloading OpenSSL, zstd and others from the internet. Here librdkafka (bundled
 * in the package) is built against the system's libraries (`CKJS_LINKING=dynamic`: libssl,
 * zlib; needs make, a C++ compiler and python3), which needs no network: about 3 to 5 minutes
 * on 2 cores. Skipped when the binding is already built for this Node.
 *
 *   npx tsx libs/messaging/src/lib/rdkafka-build.ts [--force]
 *
 * `PLATFORM_SKIP_LIBRDKAFKA_BUILD=1` skips it (kafkajs stays the producer; the librdkafka
 * producer then fails at start saying how to build it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const PACKAGE = '@confluentinc/kafka-javascript';

/** npm shows an install script's output: say what happens, one line each. */
function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function packageDir(): string | undefined {
  try {
    return dirname(require.resolve(`${PACKAGE}/package.json`));
  } catch {
    return undefined;
  }
}

/** Whether the built binding loads in this Node (a child process: a failed dlopen is sticky). */
function loads(dir: string): boolean {
  const binding = join(dir, 'build', 'Release', 'confluent-kafka-javascript.node');
  if (!existsSync(binding)) return false;
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(dir)})`], {
    stdio: 'ignore',
  });
  return probe.status === 0;
}

function main(): number {
  if (process.env['PLATFORM_SKIP_LIBRDKAFKA_BUILD'] === '1') {
    say(`${PACKAGE}: build skipped (PLATFORM_SKIP_LIBRDKAFKA_BUILD=1)`);
    return 0;
  }
  const dir = packageDir();
  if (dir === undefined) {
    say(`${PACKAGE} is not installed: nothing to build`);
    return 0;
  }
  if (!process.argv.includes('--force') && loads(dir)) {
    say(`${PACKAGE}: already built`);
    return 0;
  }
  const preGyp = require.resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp', { paths: [dir] });
  say(`${PACKAGE}: building librdkafka and the binding (CKJS_LINKING=dynamic), 3-5 min`);
  const started = Date.now();
  const build = spawnSync(process.execPath, [preGyp, 'install', '--build-from-source'], {
    cwd: dir,
    stdio: 'inherit',
    env: { ...process.env, CKJS_LINKING: 'dynamic' },
  });
  if (build.status !== 0 || !loads(dir)) {
    say(
      `${PACKAGE}: the build failed. It needs make, g++, python3 and libssl-dev. ` +
        'Set PLATFORM_SKIP_LIBRDKAFKA_BUILD=1 to install without it (kafkajs only).',
    );
    return 1;
  }
  say(`${PACKAGE}: built in ${Math.round((Date.now() - started) / 1000)} s`);
  return 0;
}

if (require.main === module) process.exitCode = main();
