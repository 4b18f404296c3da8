/**
 * Builds the five images without a Docker engine and runs two of them against the local
 * stack: what `docker build` and `docker run` would do, with Debian's buildah and podman.
 *
 *   npm run deploy:images                       base (when missing), build all, check
 *   npm run deploy:images -- base [--force]     the Node base image, from debootstrap
 *   npm run deploy:images -- build [app…]       buildah bud of docker/Dockerfile per app
 *   npm run deploy:images -- check              registry + gateway images: /readyz, one event
 *
 * Needs root and `apt-get install buildah podman debootstrap runc` (docker/README.md).
 * The base image is named like the Dockerfile's FROM line (node:<NODE_VERSION>-bookworm-slim)
 * and made from `debootstrap --variant=minbase bookworm` plus this machine's Node (which
 * must be that version) and npm, with the `node` user (uid 1000) of the official image;
 * builds then run with `--pull=never`, so nothing but the Debian and npm registries is
 * reached. The check needs `npm run stack:up` (Kafka, PostgreSQL) and uses the namespace
 * `imagecheck`, so its topics, tables and keys are its own.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { appNames, REPO_ROOT } from './build-service';

const WORK_DIR = process.env['DEPLOY_IMAGES_WORK_DIR'] ?? '/var/tmp/streaming-platform-images';
const TAG = process.env['DEPLOY_IMAGES_TAG'] ?? 'dev';
const image = (app: string): string => `localhost/streaming-platform/${app}:${TAG}`;

/** The Dockerfile's NODE_VERSION default and the base image its FROM lines name. */
export function dockerfileNode(root: string = REPO_ROOT): { version: string; base: string } {
  const text = readFileSync(join(root, 'docker/Dockerfile'), 'utf8');
  const version = text.match(/^ARG NODE_VERSION=(\S+)$/m)?.[1];
  if (version === undefined) throw new Error('docker/Dockerfile has no ARG NODE_VERSION=');
  return { version, base: `docker.io/library/node:${version}-bookworm-slim` };
}

/** The npm version of package.json's `packageManager` (`npm@x.y.z`). */
export function pinnedNpm(root: string = REPO_ROOT): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    packageManager?: string;
  };
  const version = pkg.packageManager?.match(/^npm@(\d+\.\d+\.\d+)$/)?.[1];
  if (version === undefined) throw new Error('package.json: packageManager must be npm@x.y.z');
  return version;
}

function run(cmd: string, args: readonly string[], quiet = false): SpawnSyncReturns<string> {
  const result = spawnSync(cmd, args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: quiet ? 'pipe' : ['ignore', 'inherit', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return result;
}

function must(cmd: string, args: readonly string[], quiet = false): string {
  const result = run(cmd, args, quiet);
  if (result.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${result.status}\n${result.stderr ?? ''}`);
  }
  return result.stdout ?? '';
}

const imageExists = (name: string): boolean =>
  run('podman', ['image', 'exists', name], true).status === 0;

const imageSize = (name: string): number =>
  Number(must('podman', ['image', 'inspect', '--format', '{{.Size}}', name], true).trim());

/** The raised limits of a container: this shell's hard limits (a chroot build cannot exceed them). */
const hardLimit = (flag: string): string =>
  spawnSync('sh', ['-c', `ulimit -H${flag}`], { encoding: 'utf8' }).stdout.trim() || '4096';
const NOFILE = hardLimit('n');
// Enough for Node's threads; the sandbox refuses a container its full hard limit.
const NPROC = Math.min(Number(hardLimit('u')), 4096);
const ULIMITS = ['--ulimit', `nofile=${NOFILE}:${NOFILE}`, '--ulimit', `nproc=${NPROC}:${NPROC}`];

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/** The base image of the Dockerfile, made locally (no registry but Debian's is reached). */
export function buildBase(force = false): void {
  const { version, base } = dockerfileNode();
  if (!force && imageExists(base)) {
    console.log(`base ${base}: present (${mb(imageSize(base))})`);
    return;
  }
  if (process.version !== `v${version}`) {
    throw new Error(
      `the base copies this Node, ${process.version}; the Dockerfile wants v${version}`,
    );
  }
  const started = Date.now();
  const rootfs = join(WORK_DIR, 'rootfs');
  rmSync(rootfs, { recursive: true, force: true });
  mkdirSync(WORK_DIR, { recursive: true });
  must('debootstrap', ['--variant=minbase', 'bookworm', rootfs, 'http://deb.debian.org/debian']);
  // What the slim image leaves out: package caches, lists, docs, man pages, locales.
  for (const dir of [
    'var/cache/apt',
    'var/lib/apt/lists',
    'usr/share/doc',
    'usr/share/man',
    'usr/share/info',
    'usr/share/locale',
  ]) {
    rmSync(join(rootfs, dir), { recursive: true, force: true });
    mkdirSync(join(rootfs, dir), { recursive: true });
  }
  // Node and npm where the official image has them (/usr/local), and its `node` user.
  const npmDir = join(must('npm', ['root', '-g'], true).trim(), 'npm');
  mkdirSync(join(rootfs, 'usr/local/lib/node_modules'), { recursive: true });
  must('cp', [process.execPath, join(rootfs, 'usr/local/bin/node')]);
  must('cp', ['-a', npmDir, join(rootfs, 'usr/local/lib/node_modules/npm')]);
  must('ln', ['-sf', '../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr/local/bin/npm')]);
  must('ln', ['-sf', '../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr/local/bin/npx')]);
  must('chroot', [rootfs, 'groupadd', '--gid', '1000', 'node']);
  must('chroot', [rootfs, 'useradd', '--uid', '1000', '--gid', 'node', '-m', 'node']);
  const tar = join(WORK_DIR, 'rootfs.tar');
  must('tar', ['-C', rootfs, '-cf', tar, '.']);
  if (imageExists(base)) must('podman', ['rmi', '-f', base], true);
  must('podman', ['import', '--change', 'CMD ["node"]', tar, base], true);
  rmSync(tar, { force: true });
  console.log(
    `base ${base}: ${mb(imageSize(base))} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}

export interface BuiltImage {
  readonly app: string;
  readonly image: string;
  readonly seconds: number;
  readonly bytes: number;
}

/**
 * The host's extra CA bundle (a TLS-inspecting proxy in front of the npm registry), mounted
 * into the build steps and named by the Dockerfile's NODE_EXTRA_CA_CERTS argument.
 */
function caArgs(): string[] {
  const bundle = process.env['NODE_EXTRA_CA_CERTS'];
  if (bundle === undefined || bundle === '' || !existsSync(bundle)) return [];
  const inBuild = '/run/host-ca/ca.crt';
  return ['--volume', `${bundle}:${inBuild}:ro`, '--build-arg', `NODE_EXTRA_CA_CERTS=${inBuild}`];
}

/** `docker build` of one app, with buildah in a chroot (no daemon, no user namespaces). */
export function buildImage(app: string): BuiltImage {
  const started = Date.now();
  must('buildah', [
    'bud',
    ...caArgs(),
    '--isolation',
    'chroot',
    '--pull=never',
    '--layers',
    '--ulimit',
    `nofile=${NOFILE}:${NOFILE}`,
    '-f',
    'docker/Dockerfile',
    '--build-arg',
    `APP=${app}`,
    '--build-arg',
    `NPM_VERSION=${pinnedNpm()}`,
    '-t',
    image(app),
    '.',
  ]);
  const built = {
    app,
    image: image(app),
    seconds: Math.round((Date.now() - started) / 1000),
    bytes: imageSize(image(app)),
  };
  console.log(`built ${built.image}: ${mb(built.bytes)} in ${built.seconds} s`);
  return built;
}

/** What must not be in a runtime image: compilers, test tooling, package caches. */
export function forbiddenInImage(app: string): string[] {
  const found = must(
    'podman',
    [
      'run',
      '--rm',
      '--runtime',
      'runc',
      '--network',
      'none',
      ...ULIMITS,
      '--entrypoint',
      'sh',
      image(app),
      '-c',
      'ls -d /app/node_modules /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/typescript ' +
        '/app/dist/node_modules/typescript /app/dist/node_modules/ts-node 2>/dev/null; ' +
        'grep -l "ts-node/register\\|require(\\"typescript\\")\\|from \\"jest\\"" -r /app/dist 2>/dev/null | head -5',
    ],
    true,
  );
  return found.split('\n').filter(Boolean);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await sleep(1000);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms: ${last}`);
}

/** `podman run` like `docker run`: host network (the local stack listens on 127.0.0.1). */
function podmanRun(name: string, app: string, env: Record<string, string>, args: string[] = []) {
  return [
    'run',
    '--pull=never',
    '--name',
    name,
    '--runtime',
    'runc',
    '--network',
    'host',
    ...ULIMITS,
    '--read-only',
    '--tmpfs',
    '/tmp',
    ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    image(app),
    ...args,
  ];
}

const CHECK = {
  namespace: 'imagecheck',
  registryPort: 18181,
  gatewayPort: 18180,
};

/**
 * Runs the schema-registry and gateway images against the local stack: both turn ready,
 * a write key is created with the gateway image's CLI, and one event is accepted.
 */
export async function checkImages(): Promise<void> {
  const env = {
    ENVIRONMENT: 'dev',
    NAMESPACE: CHECK.namespace,
    PLATFORM__schema_registry__url: `http://127.0.0.1:${CHECK.registryPort}`,
  };
  const names = ['imagecheck-schema-registry', 'imagecheck-ingestion-gateway'];
  for (const name of names) run('podman', ['rm', '-f', name], true);
  const started = Date.now();
  for (const name of names) run('podman', ['rm', '-f', name], true);
  const detached = (args: string[]): string[] => ['run', '-d', ...args.slice(1)];
  must(
    'podman',
    detached(
      podmanRun(names[0] as string, 'schema-registry', {
        ...env,
        PORT: String(CHECK.registryPort),
      }),
    ),
    true,
  );
  try {
    await waitReady(`http://127.0.0.1:${CHECK.registryPort}/readyz`, 90_000);
    console.log(`schema-registry image ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const gwStarted = Date.now();
    must(
      'podman',
      detached(
        podmanRun(names[1] as string, 'ingestion-gateway', {
          ...env,
          PORT: String(CHECK.gatewayPort),
        }),
      ),
      true,
    );
    await waitReady(`http://127.0.0.1:${CHECK.gatewayPort}/readyz`, 120_000);
    console.log(
      `ingestion-gateway image ready in ${((Date.now() - gwStarted) / 1000).toFixed(1)} s`,
    );
    const keyJson = must(
      'podman',
      [
        ...podmanRun('imagecheck-keys', 'ingestion-gateway', env, [
          'dist/service/cli.js',
          'keys',
          'create',
          '--source',
          'image-check',
          '--json',
        ]),
      ].flatMap((a, i) => (i === 0 ? ['run', '--rm'] : [a])),
      true,
    );
    const key = (JSON.parse(keyJson.trim().split('\n').pop() ?? '{}') as { key?: string }).key;
    if (key === undefined) throw new Error(`keys create printed no key: ${keyJson}`);
    const res = await fetch(`http://127.0.0.1:${CHECK.gatewayPort}/v1/events/page_view`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-write-key': key },
      body: JSON.stringify({ user_id: 'image-check', device_type: 'mobile', country: 'US' }),
    });
    const body = await res.text();
    if (res.status !== 202 && res.status !== 200) {
      throw new Error(`POST /v1/events/page_view answered ${res.status}: ${body}`);
    }
    console.log(`event accepted by the gateway image: ${res.status} ${body}`);
    // A clean stop within the drain: SIGTERM, exit 0.
    const stopStarted = Date.now();
    must('podman', ['stop', '-t', '40', names[1] as string], true);
    const code = must(
      'podman',
      ['inspect', '--format', '{{.State.ExitCode}}', names[1] as string],
      true,
    );
    console.log(
      `ingestion-gateway stopped in ${((Date.now() - stopStarted) / 1000).toFixed(1)} s, exit ${code.trim()}`,
    );
    if (code.trim() !== '0') throw new Error(`the gateway exited ${code.trim()} on SIGTERM`);
  } catch (error) {
    for (const name of names) {
      const logs = run('podman', ['logs', '--tail', '30', name], true);
      console.error(`--- ${name}\n${logs.stdout}${logs.stderr}`);
    }
    throw error;
  } finally {
    for (const name of names) run('podman', ['rm', '-f', '-t', '40', name], true);
  }
}

async function main(argv: string[]): Promise<void> {
  const [command = 'all', ...rest] = argv;
  const apps = rest.filter((a) => !a.startsWith('--'));
  const unknown = apps.filter((a) => !appNames().includes(a));
  if (unknown.length > 0) throw new Error(`unknown app ${unknown.join(', ')}`);
  for (const tool of ['buildah', 'podman', 'debootstrap', 'runc']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      throw new Error(`${tool} is missing: apt-get install -y buildah podman debootstrap runc`);
    }
  }
  if (command === 'base' || command === 'all') buildBase(rest.includes('--force'));
  if (command === 'build' || command === 'all') {
    const built = (apps.length > 0 ? apps : appNames()).map(buildImage);
    const bad = built.flatMap((b) => forbiddenInImage(b.app).map((f) => `${b.app}: ${f}`));
    console.table(built.map((b) => ({ image: b.image, size: mb(b.bytes), build_s: b.seconds })));
    if (bad.length > 0) throw new Error(`build tooling in the images:\n${bad.join('\n')}`);
  }
  if (command === 'check' || command === 'all') await checkImages();
  if (!['base', 'build', 'check', 'all'].includes(command)) {
    throw new Error('usage: images.ts [all|base|build [app…]|check]');
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
