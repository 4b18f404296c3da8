/** Shared plumbing of the benchmarks: child services, the native tools, and the report. */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { runTs } from '@platform/testing';
import { parseAllDocuments } from 'yaml';

export const REPO_ROOT = resolve(__dirname, '../../..');

export interface Row {
  readonly measure: string;
  readonly ours: number;
  readonly native?: number;
  readonly unit: string;
  readonly note?: string;
  /** Peak resident set size of each side's process, bytes. */
  readonly peakRss?: { readonly ours?: number; readonly native?: number };
}

/** Prints the rows as a table (with ours/native ratios) and writes them as JSON under tmp/bench/. */
export function report(name: string, rows: readonly Row[], context: Record<string, unknown>): void {
  const fmt = (n: number | undefined) =>
    n === undefined ? '—' : Math.round(n).toLocaleString('en-US');
  const mb = (n: number | undefined) => (n === undefined ? '—' : `${Math.round(n / 2 ** 20)} MB`);
  const lines = rows.map((r) => [
    r.measure,
    `${fmt(r.ours)} ${r.unit}`,
    r.native === undefined ? '—' : `${fmt(r.native)} ${r.unit}`,
    r.native === undefined ? '—' : `${(r.ours / r.native).toFixed(2)}×`,
    r.peakRss === undefined ? '—' : `${mb(r.peakRss.ours)} / ${mb(r.peakRss.native)}`,
    r.note ?? '',
  ]);
  const header = ['measure', 'ours', 'native', 'ratio', 'peak RSS ours / native', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(`\n${name}`);
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const l of lines) console.log(line(l));
  const dir = join(REPO_ROOT, 'tmp', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({ name, at: new Date().toISOString(), context, rows }, null, 2),
  );
  console.log(`\n(written to ${file})`);
}

/**
 * The V8 flags `app` runs with as deployed: the `NODE_OPTIONS` its Kubernetes Deployment
 * (k8s/base/<app>.yaml) gives its own container, when it sets one, else the image's
 * (docker/Dockerfile).
 */
export function deployedNodeOptions(app?: string): string {
  const manifest = app === undefined ? undefined : join(REPO_ROOT, 'k8s', 'base', `${app}.yaml`);
  if (manifest !== undefined && existsSync(manifest)) {
    for (const doc of parseAllDocuments(readFileSync(manifest, 'utf8'))) {
      const object = doc.toJS() as DeploymentManifest | null;
      if (object?.kind !== 'Deployment' || object.metadata?.name !== app) continue;
      const container = object.spec?.template?.spec?.containers?.find((c) => c.name === app);
      const own = container?.env?.find((e) => e.name === 'NODE_OPTIONS')?.value;
      if (own !== undefined) return own.trim();
    }
  }
  const dockerfile = readFileSync(join(REPO_ROOT, 'docker', 'Dockerfile'), 'utf8');
  const image = /^ENV .*\bNODE_OPTIONS=(\S+)/m.exec(dockerfile)?.[1];
  if (image === undefined) throw new Error('docker/Dockerfile sets no NODE_OPTIONS');
  return image;
}

/** What {@link deployedNodeOptions} reads of a manifest. */
interface DeploymentManifest {
  readonly kind?: string;
  readonly metadata?: { readonly name?: string };
  readonly spec?: {
    readonly template?: {
      readonly spec?: {
        readonly containers?: readonly {
          readonly name?: string;
          readonly env?: readonly { readonly name?: string; readonly value?: string }[];
        }[];
      };
    };
  };
}

/**
 * Runs a bench's `main` with the V8 flags the services run with as deployed
 * ({@link deployedNodeOptions} of `app`, the service the bench measures; the image's when
 * none is named), then exits: 0 when it resolved, 1 (the error printed) when it threw. A
 * process without those flags runs itself again with them and exits as that run does: the
 * services a bench starts inherit them, and so does what it runs in-process beside them (the
 * gateway bench's bare handler, EventProducer alone), so both sides run as deployed.
 */
export function runBench(main: () => Promise<void>, app?: string): void {
  const wanted = deployedNodeOptions(app);
  const current = process.env['NODE_OPTIONS'] ?? '';
  const have = current.split(/\s+/);
  if (wanted.split(/\s+/).every((flag) => have.includes(flag))) {
    main().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
    return;
  }
  const again = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: `${current} ${wanted}`.trim() },
  });
  again.once('exit', (code, signal) => process.exit(code ?? (signal === null ? 0 : 1)));
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolvePort(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export interface Service {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Where to start `app`'s `file` (`main` or `cli`): its TypeScript source, run under ts-node as
 * the tests run it, when `fromSources`; otherwise compiled and bundled as docker/Dockerfile
 * does (tools/deploy), to run with plain node as the image runs it. (Under ts-node, Node's
 * REPL module loads `domain`, which wraps every event emitter's construction and emit.)
 */
export async function serviceEntry(
  app: string,
  file: 'main' | 'cli',
  fromSources: boolean,
): Promise<string> {
  return fromSources ? `apps/${app}/src/${file}.ts` : bundledService(app, `${file}.js`);
}

async function bundledService(app: string, entry: string): Promise<string> {
  // Inside the repository: packages the image leaves out (the librdkafka binding, which the
  // generator can be asked for) resolve from its node_modules, as they do under sources.
  const scratch = join(REPO_ROOT, 'tmp');
  mkdirSync(scratch, { recursive: true });
  const work = mkdtempSync(join(scratch, `bench-${app}-`));
  const compiled = join(work, 'compiled');
  const bundle = join(work, 'bundle');
  for (const [script, args] of [
    ['tools/deploy/src/build-service.ts', [app, compiled]],
    ['tools/deploy/src/bundle-service.ts', [compiled, bundle]],
  ] as const) {
    const step = await runTs(script, args, {}, 600_000);
    if (step.code !== 0) throw new Error(`${script} failed: ${step.stderr}`);
  }
  process.once('exit', () => rmSync(work, { recursive: true, force: true }));
  return join(bundle, 'service', entry);
}

/** Starts a Nest app of this repo as a child process and waits for its /healthz. */
export async function startApp(main: string, env: Record<string, string>): Promise<Service> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', main],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: 'ignore',
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${main} exited with ${child.exitCode} before it was healthy`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${main} was not healthy within 60 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    stop: () =>
      new Promise<void>((done) => {
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

/** The native tool, installed from Debian's packages when missing. */
export function requireTool(bin: string, debianPackage: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  const install = spawnSync('apt-get', ['install', '-y', debianPackage], { stdio: 'inherit' });
  if (install.status !== 0) throw new Error(`${bin} is missing: apt-get install ${debianPackage}`);
  return bin;
}

/**
 * Seconds `kcat -C` (librdkafka, read_committed) takes to read `topics` to their end, one after
 * another, start-up included: the rate at which anything can read that input here. The broker
 * holds a fetch that finds nothing new for `fetch.wait.max.ms` (librdkafka's default 500 ms)
 * before kcat learns it reached the end: that wait, once per topic, would count as reading.
 */
export function timeKcatRead(kcat: string, broker: string, topics: readonly string[]): number {
  const started = performance.now();
  for (const topic of topics) {
    const read = spawnSync(
      kcat,
      [
        '-C',
        '-b',
        broker,
        '-t',
        topic,
        '-e',
        '-q',
        '-X',
        'isolation.level=read_committed',
        '-X',
        'fetch.wait.max.ms=5',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * 1024 * 1024 },
    );
    if (read.status !== 0) throw new Error(`kcat -C failed: ${read.stderr.toString()}`);
  }
  return (performance.now() - started) / 1000;
}

/** Peak resident set size (VmHWM) of a live process, bytes; undefined when unreadable. */
export function peakRssOf(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `spawnSync` under GNU time: the result, and the command's peak resident set size in bytes.
 * Throws when the command fails.
 */
export function spawnMeasured(
  bin: string,
  args: readonly string[],
  options: SpawnSyncOptions,
): { seconds: number; peakRss: number } {
  const dir = mkdtempSync(join(tmpdir(), 'bench-time-'));
  const out = join(dir, 'rss');
  try {
    const started = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', out, bin, ...args], options);
    const seconds = (performance.now() - started) / 1000;
    if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')}: ${String(r.stderr)}`);
    return { seconds, peakRss: Number(readFileSync(out, 'utf8').trim().split('\n').pop()) * 1024 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs wrk and returns requests per second. */
export function wrk(url: string, connections: number, seconds: number, script?: string): number {
  const args = [
    '-t',
    '2',
    '-c',
    String(connections),
    '-d',
    `${seconds}s`,
    ...(script ? ['-s', script] : []),
    url,
  ];
  const out = spawnSync(requireTool('wrk', 'wrk'), args, { encoding: 'utf8' });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(out.stdout);
  if (!m) throw new Error(`wrk printed no rate:\n${out.stdout}${out.stderr}`);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out.stdout);
  if (errors) throw new Error(`wrk saw ${errors[1]} failed responses`);
  return Number(m[1]);
}

/** Runs `fn` on `concurrency` workers until `total` calls are done; returns calls per second. */
export async function rate(
  total: number,
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await fn(next++);
    }),
  );
  return total / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** `NODE_OPTIONS` as this process has them, plus `--require` of each preload given. */
export function preloadEnv(preloads: readonly (string | undefined)[]): { NODE_OPTIONS?: string } {
  const requires = preloads
    .filter((p): p is string => p !== undefined)
    .map((p) => `--require ${p}`);
  if (requires.length === 0) return {};
  return { NODE_OPTIONS: [process.env['NODE_OPTIONS'] ?? '', ...requires].join(' ').trim() };
}

/** Rates, smallest first, rounded, for a note: `129,414, 150,403, 201,418`. */
export function listRates(rates: readonly number[]): string {
  return [...rates]
    .sort((a, b) => a - b)
    .map((r) => Math.round(r).toLocaleString('en-US'))
    .join(', ');
}

/** The middle value (the upper one of an even count). */
export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
}
