/**
 * The whole platform on one machine: the local stack (started when down), then the schema
 * registry, ingestion gateway, aggregator (`run`) and sink writer, each its own process, and
 * a generator sending through the gateway. A service already answering on its port is reused.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { freePort } from '@platform/testing';

export const REPO_ROOT = resolve(__dirname, '../../..');
const NODE_ARGS = ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'];

export interface PlatformOptions {
  /** Prefix of every name the run owns; `''` for none (the default names). */
  readonly namespace?: string;
  /** Domain name (`config/domains/<name>.yaml`) or a domain file. */
  readonly domain?: string;
  readonly domainFile?: string;
  /** Ports of the services; 0 picks a free one. */
  readonly ports?: Partial<Record<ServiceName, number>>;
  /** Events a second the generator sends through the gateway; 0: no generator. */
  readonly rate?: number;
  /** Seed of the synthetic events. */
  readonly seed?: number;
  /** Events sent first, as fast as the gateway takes them. Default 12,000 (about 40 minutes of event time). */
  readonly history?: number;
  /** Where logs and the dev key go. Default `tmp/platform/<namespace or default>`. */
  readonly dir?: string;
  /** Extra variables for every process. */
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: (line: string) => void;
}

export type ServiceName = 'registry' | 'gateway' | 'aggregator' | 'sink-writer';

const SERVICES: readonly {
  readonly name: ServiceName;
  readonly entry: string;
  readonly args: readonly string[];
  readonly port: number;
}[] = [
  { name: 'registry', entry: 'apps/schema-registry/src/main.ts', args: [], port: 8081 },
  { name: 'gateway', entry: 'apps/ingestion-gateway/src/main.ts', args: [], port: 8080 },
  { name: 'aggregator', entry: 'apps/aggregator/src/cli.ts', args: ['run'], port: 8092 },
  { name: 'sink-writer', entry: 'apps/sink-writer/src/main.ts', args: ['run'], port: 8083 },
];

export interface RunningPlatform {
  readonly urls: Readonly<Record<ServiceName, string>>;
  readonly dashboard: string;
  /** The write key the generator and the dashboard use. */
  readonly key: string;
  readonly dir: string;
  /** Services this call started (the others were running already and are left alone). */
  readonly started: readonly ServiceName[];
  /** Whether this call runs a generator. */
  readonly generating: boolean;
  /** Stops the generator, if any; the services keep running. */
  stopGenerator(): Promise<void>;
  /** Stops what this call started, the generator first; each drains and exits. */
  stop(): Promise<void>;
}

/** The local stack's servers, by the addresses the default config uses. */
const STACK = [
  { name: 'Kafka', host: '127.0.0.1', port: 9092 },
  { name: 'ClickHouse', host: '127.0.0.1', port: 8123 },
  { name: 'PostgreSQL', host: '127.0.0.1', port: 5432 },
];

export async function startPlatform(options: PlatformOptions = {}): Promise<RunningPlatform> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const namespace = options.namespace ?? '';
  const dir = resolve(REPO_ROOT, options.dir ?? join('tmp', 'platform', namespace || 'default'));
  mkdirSync(dir, { recursive: true });
  await ensureStack(log);

  const ports: Record<ServiceName, number> = {} as Record<ServiceName, number>;
  for (const service of SERVICES) {
    const wanted = options.ports?.[service.name] ?? service.port;
    ports[service.name] = wanted === 0 ? await freePort() : wanted;
  }
  const urls = Object.fromEntries(
    SERVICES.map((s) => [s.name, `http://127.0.0.1:${ports[s.name]}`]),
  ) as Record<ServiceName, string>;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    ...(namespace === '' ? {} : { NAMESPACE: namespace }),
    ...(options.domain === undefined ? {} : { DOMAIN: options.domain }),
    ...(options.domainFile === undefined
      ? {}
      : { DOMAIN_FILE: resolve(process.cwd(), options.domainFile) }),
    PLATFORM__schema_registry__url: urls.registry,
    // Live input: when every source is quiet, windows still close by the wall clock.
    AGGREGATOR_IDLE_TIMEOUT_MS: options.env?.['AGGREGATOR_IDLE_TIMEOUT_MS'] ?? '10000',
    TS_NODE_PROJECT: join(REPO_ROOT, 'tsconfig.json'),
  };

  const children: {
    name: ServiceName | 'generator';
    child: ChildProcess;
    exited: Promise<void>;
  }[] = [];
  const started: ServiceName[] = [];
  const stopAll = async (): Promise<void> => {
    // The generator first, so nothing is sent to a draining gateway; then the services at once.
    const generators = children.filter((c) => c.name === 'generator');
    for (const entry of generators) await terminate(entry.child, entry.exited);
    const services = children.filter((c) => c.name !== 'generator');
    await Promise.all(services.map((entry) => terminate(entry.child, entry.exited)));
    children.length = 0;
  };
  try {
    const startOne = async (service: (typeof SERVICES)[number]): Promise<void> => {
      const url = urls[service.name];
      if (await answers(`${url}/healthz`)) {
        log(`${service.name}: already running at ${url}, reused`);
        return;
      }
      const child = spawnService(
        service.entry,
        service.args,
        env,
        ports[service.name],
        dir,
        service.name,
      );
      children.push(child);
      await waitHealthy(child, `${url}/readyz`, service.name, dir);
      started.push(service.name);
      log(`${service.name}: started at ${url} (log ${join(dir, `${service.name}.log`)})`);
    };
    // The registry first (the others register or read schemas at start), then the rest at once.
    const [registry, ...rest] = SERVICES;
    if (registry !== undefined) await startOne(registry);
    const results = await Promise.allSettled(rest.map(startOne));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const key = await devKey(urls.gateway, env, dir, log);
    const rate = options.rate ?? 100;
    if (rate > 0 && !started.includes('gateway')) {
      log('generator: not started, the gateway was running already (its run sends the events)');
    } else if (rate > 0) {
      const generate = (
        args: readonly string[],
        name: string,
      ): { child: ChildProcess; exited: Promise<void> } =>
        spawnProcess(
          'apps/generator/src/cli.ts',
          [
            'run',
            '--target',
            'gateway',
            '--gateway-url',
            urls.gateway,
            '--users',
            '5000',
            '--no-progress',
            ...args,
          ],
          { ...env, GATEWAY_WRITE_KEY: key },
          dir,
          name,
        );
      // First some 40 minutes of history as fast as the gateway takes it, so every window type
      // (sessions end after 30 quiet minutes) has closed windows at once; then live events
      // at the rate, their event time going on from the end of the history.
      const seed = options.seed ?? 42;
      const summary = join(dir, 'history.json');
      const historyEvents = options.history ?? 12_000;
      let next = Date.now() - 24 * 3_600_000;
      if (historyEvents > 0) {
        const history = generate(
          [
            '--count',
            String(historyEvents),
            '--rate',
            'max',
            '--seed',
            String(seed),
            '--start-time',
            String(next),
            '--summary-json',
            summary,
          ],
          'generator-history',
        );
        children.push({ name: 'generator', ...history });
        await history.exited;
        children.pop();
        if (history.child.exitCode !== 0) {
          throw new Error(
            `the history generator failed (exit ${String(history.child.exitCode)}), see ${join(dir, 'generator-history.log')}`,
          );
        }
        next =
          1_000 +
          (JSON.parse(readFileSync(summary, 'utf8')) as { lastTimestamp: number }).lastTimestamp;
        log(
          `generator: ${historyEvents.toLocaleString('en-US')} events of history sent through the gateway`,
        );
      }
      const live = generate(
        [
          '--rate',
          String(rate),
          '--duration',
          '24h',
          '--seed',
          String(seed + 1),
          '--start-time',
          String(next),
        ],
        'generator',
      );
      children.push({ name: 'generator', ...live });
      log(`generator: ${rate} events/s through the gateway (log ${join(dir, 'generator.log')})`);
    }
    const dashboard = `${urls.gateway}/dashboard#key=${key}`;
    return {
      urls,
      dashboard,
      key,
      dir,
      started,
      generating: children.some((c) => c.name === 'generator'),
      stopGenerator: async () => {
        const index = children.findIndex((c) => c.name === 'generator');
        const generator = children[index];
        if (generator === undefined) return;
        children.splice(index, 1);
        await terminate(generator.child, generator.exited);
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Starts the local stack (npm run stack:up) when one of its servers does not answer. */
async function ensureStack(log: (line: string) => void): Promise<void> {
  const down = [];
  for (const server of STACK)
    if (!(await tcpOpen(server.host, server.port))) down.push(server.name);
  if (down.length === 0) return;
  log(`local stack: ${down.join(', ')} not running; starting it (npm run stack:up)`);
  const result = spawnSync(
    process.execPath,
    [join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'), 'tools/local-stack/src/cli.ts', 'up'],
    { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (result.status !== 0) throw new Error('the local stack did not start (see above)');
}

/** The dev write key kept in `<dir>/dev-key`, or a new one when it is missing or refused. */
async function devKey(
  gateway: string,
  env: NodeJS.ProcessEnv,
  dir: string,
  log: (line: string) => void,
): Promise<string> {
  const file = join(dir, 'dev-key');
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    const res = await fetch(`${gateway}/v1/stats`, { headers: { 'x-write-key': kept } });
    if (res.ok) return kept;
  }
  const created = spawnSync(
    process.execPath,
    [
      ...NODE_ARGS,
      'apps/ingestion-gateway/src/cli.ts',
      'keys',
      'create',
      '--source',
      'dev',
      '--json',
    ],
    { cwd: REPO_ROOT, env, encoding: 'utf8' },
  );
  const line = created.stdout.split('\n').find((l) => l.startsWith('{'));
  if (created.status !== 0 || line === undefined) {
    throw new Error(`creating a write key failed:\n${created.stderr}${created.stdout}`);
  }
  const key = (JSON.parse(line) as { key: string }).key;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  log(`write key created for this run (kept in ${file})`);
  return key;
}

function spawnService(
  entry: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  port: number,
  dir: string,
  name: ServiceName,
): { child: ChildProcess; exited: Promise<void>; name: ServiceName } {
  return {
    name,
    ...spawnProcess(entry, args, { ...env, PORT: String(port), HOST: '127.0.0.1' }, dir, name),
  };
}

function spawnProcess(
  entry: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  dir: string,
  name: string,
): { child: ChildProcess; exited: Promise<void> } {
  const out = createWriteStream(join(dir, `${name}.log`), { flags: 'a' });
  const child = spawn(process.execPath, [...NODE_ARGS, entry, ...args], {
    cwd: REPO_ROOT,
    env,
    // Its own process group: a Ctrl-C in the terminal reaches the launcher only, which
    // then stops each process in order.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(out, { end: false });
  child.stderr?.pipe(out, { end: false });
  const exited = new Promise<void>((done) =>
    child.once('exit', () => {
      out.end();
      done();
    }),
  );
  return { child, exited };
}

async function waitHealthy(
  entry: { child: ChildProcess; exited: Promise<void> },
  url: string,
  name: string,
  dir: string,
): Promise<void> {
  let exited = false;
  void entry.exited.then(() => (exited = true));
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && !exited) {
    if (await answers(url)) return;
    await sleep(300);
  }
  const tail = readFileSync(join(dir, `${name}.log`), 'utf8')
    .split('\n')
    .slice(-15)
    .join('\n');
  throw new Error(
    `${name} did not become ready at ${url}${exited ? ' (it exited)' : ''}:\n${tail}`,
  );
}

/** SIGTERM (the service drains), SIGKILL after 30 s. */
async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      done(false);
    });
    socket.once('error', () => done(false));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
