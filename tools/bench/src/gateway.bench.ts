/**
 * Ingestion gateway: requests/s, events/s and p50/p99 latency of `POST /v1/events` at
 * batch 1 and batch 100, measured by wrk (a separate process), beside a bare `node:http`
 * handler that produces the same events through the same Avro `EventProducer` (idempotent,
 * acks=all) and answers after the acks: the ceiling of any HTTP front of that producer.
 *
 * Two more cases give every event a client `event_id`, new on every request: the gateway then
 * checks and records them in its shared idempotency window (PostgreSQL); the bare handler does not.
 * The bare handler sends with the producer's linger (5 ms); the gateway sends the events its
 * claim statements answered without it (they were gathered already), so at 16 connections,
 * where the linger is most of the bare handler's latency, the gateway with client ids can
 * answer more requests than it.
 * Every case runs at 256 connections (real concurrency), then at 16 (latency-bound), on
 * connections already open (see RAMP_MS), in alternated rounds whose median is reported. One
 * row adds new connections to the running load of batch 1 at 256 connections.
 *
 * Overload: an open-loop driver (`open-loop.ts`, a process of its own) offers once and twice
 * the rate the gateway reached at batch 1 with 256 connections; rows give the rate answered
 * 202, the p99 of those answers from the intended send time (so every queue counts, the
 * driver's own backlog of requests waiting for a free socket included) and from the write to
 * the socket (the wait at the server alone), and the share shed with 503, with the gateway's
 * refusals by reason and the CPU of both processes.
 *
 *   npx tsx tools/bench/src/gateway.bench.ts [--seconds 5] [--rounds 3] [--only "batch 1, 256"]
 *     [--profile tmp/prof] [--skip-overload] [--from-sources] [--memory-limit <MiB>]
 *
 * `--memory-limit 512` runs the gateway in a memory cgroup of 512 MiB, its Deployment's limit
 * (root and cgroups needed): V8 sizes its heap from it as in the pod, and a last row gives the
 * cgroup's peak over the run and any OOM kill.
 *
 * The gateway runs as its image runs it: compiled and bundled (tools/deploy), with plain node.
 * `--from-sources` runs the TypeScript sources under ts-node instead, as the tests do (ts-node
 * loads Node's REPL, and with it the `domain` module, which slows every event emitter).
 *
 * `--profile <dir>` runs the gateway with `node --cpu-prof` and prints where its CPU time went,
 * by stage, when it exits (use `--only` to profile one case); the bare handler's first round
 * of the same case is profiled in this process, into `<dir>/bare`.
 */
import { load } from '@platform/config';
import { createKafka, EventProducer, silentSink, TopicAdmin } from '@platform/messaging';
import { SchemaRegistryClient } from '@platform/schema-registry';
import {
  dropPgSchema,
  runTs,
  startSchemaRegistry,
  startService,
  uniqueName,
} from '@platform/testing';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuProfilePreload, printProfile, profileOwnProcess, type Stages } from './cpu-profile';
import { describePauses, GcPauseLog, pausePercent } from './gc-pauses';
import {
  freePort,
  median,
  report,
  requireTool,
  type Row,
  peakRssOf,
  runBench,
  preloadEnv,
  serviceEntry,
} from './harness';
import { createMemoryLimit, describeMemoryLimit } from './memory-limit';
import { processCpuMicros, runOpenLoop, type OpenLoopResult } from './open-loop';
import { topicSize, withTopicAdmin } from './pipeline-fixture';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
    profile: { type: 'string' },
    'skip-overload': { type: 'boolean', default: false },
    'overload-rate': { type: 'string' },
    'memory-limit': { type: 'string' },
    'from-sources': { type: 'boolean', default: false },
  },
});
/** wrk's threads: two, so that the driver is never the limit (it used at most a third of a core). */
const WRK_THREADS = 2;
/**
 * How long each connection holds its first request. Node accepts one connection per turn of
 * its event loop, so a server already loaded by the first connections takes up to a second or
 * two to accept the rest, and their first requests wait in the kernel that long: that ramp,
 * not the steady state, made the p99 of an 8 s run. The rows measure the steady state of
 * connections already open; the rate counts only the time after the ramp.
 */
const RAMP_MS = 1000;
/** Fresh connections opened into the running load of batch 1, 256 connections. */
const BURST_CONNECTIONS = 64;
const seconds = Number(values.seconds);
/**
 * Measured runs of each side per case, alternated (gateway, bare, gateway, …); a figure is
 * the median of its rounds. On this shared machine a side's rate moved by up to 1.7× from one
 * run to the next, and the same gateway process cost 63 to 108 µs per request in six
 * consecutive runs: one run of each, back to back, measured the machine's phase as much as the
 * servers.
 */
const rounds = Number(values.rounds);
/** Batch sizes; `clientIds`: every event carries an `event_id`, unique per request. */
const CASES = [256, 16]
  .flatMap((connections) =>
    [
      { size: 1, clientIds: false, label: 'batch 1' },
      { size: 100, clientIds: false, label: 'batch 100' },
      { size: 1, clientIds: true, label: 'batch 1, client event_id' },
      { size: 100, clientIds: true, label: 'batch 100, client event_id' },
    ].map((c) => ({ ...c, connections, label: `${c.label}, ${connections} connections` })),
  )
  .filter((c) => values.only === undefined || c.label.includes(values.only));

/** Replaced by wrk, per request, with an id unique across its threads. */
const ID_PLACEHOLDER = '__EVENT_ID__';

interface WrkResult {
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** CPU wrk used (user + system), as a share of one core. */
  readonly driverCpuShare: number;
  /** Requests answered. */
  readonly requests: number;
}

/** Each figure of a side's rounds, the median of its rounds. */
function medianRun(runs: readonly WrkResult[]): WrkResult {
  const of = (pick: (r: WrkResult) => number): number => median(runs.map(pick));
  return {
    requestsPerSec: of((r) => r.requestsPerSec),
    p50Ms: of((r) => r.p50Ms),
    p99Ms: of((r) => r.p99Ms),
    maxMs: of((r) => r.maxMs),
    driverCpuShare: of((r) => r.driverCpuShare),
    requests: of((r) => r.requests),
  };
}

/** Requests answered over all of a side's rounds. */
function requestsOf(runs: readonly WrkResult[]): number {
  return runs.reduce((n, r) => n + r.requests, 0);
}

const UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** `platform_gateway_requests_shed_total` by reason, scraped from the gateway's /metrics. */
async function shedCounts(url: string): Promise<Record<string, number>> {
  const text = await fetch(`${url}/metrics`).then((r) => r.text());
  return Object.fromEntries(
    [...text.matchAll(/^platform_gateway_requests_shed_total\{reason="(\w+)"\} (\d+)/gm)].map(
      (m) => [m[1] as string, Number(m[2])],
    ),
  );
}

/** CPU time this process has used so far, µs (the bare handler runs in it). */
function ownCpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * wrk with a POST script and `--latency`: rate and latency; a non-2xx answer fails it. A body
 * holding {@link ID_PLACEHOLDER} gets a fresh id in it on every request. `ramp`: every
 * connection holds its first request for {@link RAMP_MS}, and the rate counts the time after.
 */
async function wrkPost(
  url: string,
  body: string,
  headers: Record<string, string>,
  secs: number,
  connections: number,
  ramp = true,
): Promise<WrkResult> {
  const rampMs = ramp ? RAMP_MS : 0;
  const script = join(tmpdir(), `${uniqueName('wrk')}.lua`);
  const lua = [
    'wrk.method = "POST"',
    ...(ramp
      ? [
          // Called before every request; a thread's first calls are its connections' first.
          `local holding = ${Math.ceil(connections / WRK_THREADS)}`,
          'function delay()',
          `  if holding > 0 then holding = holding - 1; return ${RAMP_MS} end`,
          '  return 0',
          'end',
        ]
      : []),
    `wrk.body = ${JSON.stringify(body)}`,
    ...Object.entries(headers).map(
      ([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`,
    ),
    ...(body.includes(ID_PLACEHOLDER)
      ? [
          // Each wrk thread has its own Lua state: the thread number keeps ids apart.
          `local run = ${JSON.stringify(randomUUID())}`,
          'local threads = 0',
          'function setup(thread) threads = threads + 1; thread:set("tid", threads) end',
          'local n = 0',
          'function request()',
          '  n = n + 1',
          `  local id = run .. "-" .. tid .. "-" .. n`,
          `  return wrk.format(nil, nil, nil, (string.gsub(wrk.body, ${JSON.stringify(ID_PLACEHOLDER)}, id)))`,
          'end',
        ]
      : []),
  ].join('\n');
  writeFileSync(script, lua);
  // Asynchronous: the bare handler answers from this very process while wrk runs.
  const timing = `${script}.time`;
  const stdout = await new Promise<string>((done, fail) => {
    const child = spawn(
      '/usr/bin/time',
      [
        ...['-f', '%e %U %S', '-o', timing, requireTool('wrk', 'wrk')],
        ...['-t', String(WRK_THREADS), '-c', String(connections)],
        ...['-d', `${secs + rampMs / 1000}s`, '--latency'],
        ...['-s', script, url],
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString('utf8')));
    child.once('error', fail);
    child.once('exit', () => done(text));
  });
  const done = /(\d+) requests in ([\d.]+)(ms|s|m),/.exec(stdout);
  const pct = (p: string): number => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(stdout);
    return m === null ? NaN : Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] ?? NaN);
  };
  if (done === null) throw new Error(`wrk printed no count:\n${stdout}`);
  const runMs = Number(done[2]) * (UNIT_MS[done[3] ?? 's'] ?? NaN);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
  if (non2xx !== null) throw new Error(`${url}: ${non2xx[1]} non-2xx answers`);
  const max = /Latency(?:\s+[\d.]+(?:us|ms|s)){2}\s+([\d.]+)(us|ms|s)/.exec(stdout);
  const [elapsed = NaN, user = NaN, system = NaN] = readFileSync(timing, 'utf8')
    .trim()
    .split(/\s+/)
    .map(Number);
  return {
    driverCpuShare: (user + system) / elapsed,
    requestsPerSec: Number(done[1]) / ((runMs - rampMs) / 1000),
    requests: Number(done[1]),
    p50Ms: pct('50'),
    p99Ms: pct('99'),
    maxMs: max === null ? NaN : Number(max[1]) * (UNIT_MS[max[2] ?? 'ms'] ?? NaN),
  };
}

/** The ceiling: parse, fill event_id and timestamp, produce every event, 202 after the acks. */
async function startBareHandler(
  producer: EventProducer,
): Promise<{ url: string; close(): Promise<void> }> {
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const receivedAt = Date.now();
      const { events } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        events: { type: string; event: Record<string, unknown> }[];
      };
      const headers = { received_at: new Date(receivedAt).toISOString(), source: 'bench' };
      Promise.all(
        events.map(({ type, event }) =>
          producer.send(
            type,
            { event_id: randomUUID(), timestamp: receivedAt, ...event },
            undefined,
            headers,
          ),
        ),
      ).then(
        () => {
          response.writeHead(202, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ accepted: events.length }));
        },
        (error: unknown) => {
          response.writeHead(503, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: String(error) }));
        },
      );
    });
  };
  const server = createServer(handle);
  const port = await freePort();
  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

function batchBody(size: number, clientIds: boolean): string {
  const devices = ['desktop', 'mobile', 'tablet'];
  return JSON.stringify({
    events: Array.from({ length: size }, (_, i) => ({
      type: 'page_view',
      // Every field present, so the bare handler needs no contract to fill attributes in.
      event: {
        ...(clientIds ? { event_id: `${ID_PLACEHOLDER}-${i}` } : {}),
        user_id: `user_${i % 97}`,
        page_url: `/products/${i}`,
        page_title: null,
        referrer: null,
        device_type: devices[i % 3],
        country: 'US',
      },
    })),
  });
}

/** Where a gateway request's time goes. */
const GATEWAY_STAGES: Stages = [
  [/kafkajs|libs\/messaging|avsc|libs\/schema-registry/, 'producer (Avro encode, kafkajs)'],
  [/@nestjs\//, 'Nest router, pipes, filters'],
  [/fastify|find-my-way|avvio|light-my-request|@fastify\//, 'Fastify'],
  [/zod|libs\/contracts/, 'validation (contracts)'],
  [/pino|sonic-boom|logging\//, 'request logs (pino)'],
  [/@opentelemetry|telemetry\//, 'tracing (OpenTelemetry)'],
  [/prom-client|metrics\//, 'metrics (prom-client)'],
  [/node_modules\/pg|pg-protocol|pg-pool|persistence\/|idempotency-store/, 'PostgreSQL (pg)'],
  [/ingestion-gateway\/src\/auth/, 'write key, rate limit'],
  [/ingestion-gateway\/src\/http\/json-body|content-encoding/, 'body parse (JSON)'],
  [/ingestion-gateway\/src/, 'gateway service code'],
  [/observability\//, 'observability (in-flight, drain)'],
];

async function main(): Promise<void> {
  const ns = uniqueName('bench_gw');
  const profileDir = values.profile === undefined ? undefined : resolve(values.profile);
  // The gateway as deployed: request logs at info, tracing on (no exporter configured).
  const env: Record<string, string> = {
    ENVIRONMENT: 'test',
    LOG_LEVEL: 'info',
    PLATFORM__topics__events: `${ns}.events`,
    PLATFORM__topics__dlq: `${ns}.dlq`,
    GATEWAY_DB_SCHEMA: ns,
    GATEWAY_SUBSCRIPTIONS_ENABLED: 'false',
    GATEWAY_RATE_LIMIT_PER_SECOND: '1000000000',
    GATEWAY_RATE_LIMIT_BURST: '1000000000',
  };
  const registry = await startSchemaRegistry();
  env['PLATFORM__schema_registry__url'] = registry.url;
  const config = await load({ environment: 'test', env: { ...process.env, ...env } });
  const kafka = createKafka(config.kafka, {
    clientId: 'bench-bare',
    logger: silentSink,
    logLevel: 'nothing',
  });
  const gc = new GcPauseLog();
  const memory =
    values['memory-limit'] === undefined
      ? undefined
      : createMemoryLimit(Number(values['memory-limit']), ns);
  const gateway = await startService({
    entry: await serviceEntry('ingestion-gateway', 'main', values['from-sources']),
    env: { ...env, ...preloadEnv([cpuProfilePreload(profileDir), gc.preload]) },
    healthPath: '/readyz',
    ...(memory === undefined ? {} : { cgroup: memory.dir }),
  }).catch((error: unknown) => {
    memory?.remove();
    throw error;
  });
  const producer = new EventProducer({
    kafka,
    model: config.model,
    prefixes: config.topics,
    registry: new SchemaRegistryClient({ url: registry.url }),
    clientId: 'bench-bare',
  });
  let bare: { url: string; close(): Promise<void> } | undefined;
  const rows: Row[] = [];
  /** Overload rates whose 202s are not all in Kafka. */
  const lost: string[] = [];
  const context: Record<string, unknown> = { seconds, wrkThreads: WRK_THREADS, rampMs: RAMP_MS };
  try {
    const created = await runTs(
      'apps/ingestion-gateway/src/cli.ts',
      ['keys', 'create', '--source', 'bench', '--json'],
      env,
    );
    if (created.code !== 0) throw new Error(`gateway keys create: ${created.stderr}`);
    const { key } = JSON.parse(created.stdout) as { key: string };
    await producer.start();
    bare = await startBareHandler(producer);

    const json = { 'content-type': 'application/json' };
    let capacity: number | undefined;
    for (const { size, clientIds, label, connections } of CASES) {
      const body = batchBody(size, clientIds);
      const run = async (
        url: string,
        headers: Record<string, string>,
        secs: number,
      ): Promise<WrkResult> => wrkPost(url, body, headers, secs, connections);
      // Warm-up: JIT, connections, schema ids cached.
      await run(`${gateway.url}/v1/events`, { ...json, 'x-write-key': key }, 2);
      await run(`${bare.url}/v1/events`, json, 2);
      // Profiled: the first case's first measured round only.
      const profiling = profileDir !== undefined && context['profiled'] === undefined;
      const oursRuns: WrkResult[] = [];
      const nativeRuns: WrkResult[] = [];
      let cpuOurs = 0;
      let cpuNative = 0;
      const from = performance.now();
      for (let round = 0; round < rounds; round++) {
        if (profiling && round === 0) process.kill(gateway.pid, 'SIGUSR2');
        const cpuBefore = processCpuMicros(gateway.pid);
        oursRuns.push(
          await run(`${gateway.url}/v1/events`, { ...json, 'x-write-key': key }, seconds),
        );
        cpuOurs += processCpuMicros(gateway.pid) - cpuBefore;
        if (profiling && round === 0) {
          process.kill(gateway.pid, 'SIGUSR2');
          context['profiled'] = label;
        }
        const stopProfile =
          profileDir !== undefined && profiling && round === 0
            ? await profileOwnProcess(join(profileDir, 'bare'))
            : undefined;
        const ownBefore = ownCpuMicros();
        nativeRuns.push(await run(`${bare.url}/v1/events`, json, seconds));
        cpuNative += ownCpuMicros() - ownBefore;
        await stopProfile?.();
      }
      // The bare rounds in between leave the gateway idle: its pauses are over its own rounds.
      const pauses = gc.between(from, performance.now());
      const ours = medianRun(oursRuns);
      const native = medianRun(nativeRuns);
      // The case the overload rows scale from, and the one new connections are opened into.
      const capacityCase = size === 1 && !clientIds && connections === 256;
      if (capacityCase) capacity = ours.requestsPerSec;
      context[label] = { gateway: oursRuns, bare: nativeRuns };
      rows.push(
        {
          measure: `requests/s, ${label}`,
          ours: ours.requestsPerSec,
          native: native.requestsPerSec,
          unit: 'req/s',
          note: `${label}; peak RSS: each process's highest so far`,
          peakRss: {
            ours: peakRssOf(gateway.pid),
            native: process.resourceUsage().maxRSS * 1024,
          },
        },
        {
          measure: `events/s, ${label}`,
          ours: ours.requestsPerSec * size,
          native: native.requestsPerSec * size,
          unit: 'ev/s',
          note: label,
        },
        {
          measure: `p50 latency, ${label}`,
          ours: ours.p50Ms * 1000,
          native: native.p50Ms * 1000,
          unit: 'µs',
          note: 'lower is better',
        },
        {
          measure: `p99 latency, ${label}`,
          ours: ours.p99Ms * 1000,
          native: native.p99Ms * 1000,
          unit: 'µs',
          note: 'lower is better',
        },
        {
          // Less at the mercy of a shared machine than the rates: what each request cost.
          measure: `CPU per request, ${label}`,
          ours: cpuOurs / requestsOf(oursRuns),
          native: cpuNative / requestsOf(nativeRuns),
          unit: 'µs',
          note: 'server process, user + system; lower is better',
        },
        {
          measure: `wrk's CPU, ${label}`,
          ours: 100 * ours.driverCpuShare,
          native: 100 * native.driverCpuShare,
          unit: '% of a core',
          note: `the driver, ${WRK_THREADS} threads: far below ${100 * WRK_THREADS} %, it was not the limit`,
        },
        {
          measure: `time in GC pauses, ${label}`,
          ours: pausePercent(pauses, seconds * rounds),
          unit: '%',
          note: `gateway: ${describePauses(pauses)}`,
        },
      );
      if (capacityCase) {
        // What the held ramp leaves out: new connections reaching a loaded server. A second wrk
        // opens fresh ones a second into the load; its slowest answer is a first request's.
        const burst = async (url: string, headers: Record<string, string>) => {
          const load = run(url, headers, seconds);
          await sleep(RAMP_MS + 1000);
          const fresh = await wrkPost(url, body, headers, 2, BURST_CONNECTIONS, false);
          await load;
          return fresh;
        };
        const oursBurst = await burst(`${gateway.url}/v1/events`, { ...json, 'x-write-key': key });
        const nativeBurst = await burst(`${bare.url}/v1/events`, json);
        context[`new connections, ${label}`] = { gateway: oursBurst, bare: nativeBurst };
        rows.push({
          measure: `${BURST_CONNECTIONS} new connections under load: slowest answer, ${label}`,
          ours: oursBurst.maxMs * 1000,
          native: nativeBurst.maxMs * 1000,
          unit: 'µs',
          note: 'lower is better; Node accepts one connection per turn of its event loop',
        });
      }
    }

    if (!values['skip-overload'] && capacity !== undefined) {
      // Once and twice what the gateway answered at batch 1 with 256 connections, over up to
      // 4,096 sockets: many independent clients, so the queue forms at the server, not in the
      // driver. (The driver itself takes CPU the closed-loop rows left to the servers.)
      const body = batchBody(1, false);
      const rates =
        values['overload-rate'] === undefined
          ? [1, 2].map((factor) => ({ factor: `${factor}x`, rate: Math.round(factor * capacity) }))
          : [{ factor: 'given', rate: Number(values['overload-rate']) }];
      const shedShare = (r: OpenLoopResult): number => (100 * r.shed) / Math.max(1, r.offered);
      // Records in the events topics: the bare handler writes there too, but is idle while the
      // gateway is driven.
      const eventsStored = () =>
        withTopicAdmin(async (admin) => {
          let stored = 0;
          for (const topic of await admin.listTopics())
            if (topic.startsWith(`${ns}.events.`)) stored += await topicSize(admin, topic);
          return stored;
        });
      for (const { factor, rate } of rates) {
        const drive = (url: string, headers: Record<string, string>) =>
          runOpenLoop({
            url: `${url}/v1/events`,
            body,
            headers,
            rate,
            seconds,
            connections: 4096,
            serverPid: gateway.pid,
          });
        const shedBefore = await shedCounts(gateway.url);
        const storedBefore = await eventsStored();
        const ours = await drive(gateway.url, { ...json, 'x-write-key': key });
        const gatewayCpuShare = ours.serverCpuShare ?? NaN;
        const shedAfter = await shedCounts(gateway.url);
        // At least every 202 (one event each); more when a request was produced but its
        // answer came after the driver gave up on it.
        const stored = (await eventsStored()) - storedBefore;
        if (stored < ours.answered)
          lost.push(`${factor}: ${stored} stored of ${ours.answered} answered 202`);
        const shedBy = Object.fromEntries(
          Object.entries(shedAfter).map(([reason, n]) => [reason, n - (shedBefore[reason] ?? 0)]),
        );
        const native = await drive(bare.url, json);
        context[`overload ${factor}`] = {
          gateway: { ...ours, shedBy, gatewayCpuShare },
          bare: native,
        };
        const label = `batch 1, offered ${rate} req/s (${factor} capacity), open loop`;
        rows.push(
          {
            measure: `overload ${factor}: answered 202/s`,
            ours: ours.answeredPerSec,
            native: native.answeredPerSec,
            unit: 'req/s',
            note: label,
          },
          {
            measure: `overload ${factor}: p99 of answered`,
            ours: ours.p99AnsweredMs * 1000,
            native: native.p99AnsweredMs * 1000,
            unit: 'µs',
            note: 'from intended send time; lower is better',
          },
          {
            measure: `overload ${factor}: p99 of answered, from the write`,
            ours: ours.p99AnsweredFromWriteMs * 1000,
            native: native.p99AnsweredFromWriteMs * 1000,
            unit: 'µs',
            note: "from the request's write to its socket: the wait at the server, without the driver's backlog",
          },
          {
            measure: `overload ${factor}: shed with 503`,
            ours: shedShare(ours),
            native: shedShare(native),
            unit: '%',
            note:
              `of offered (${Object.entries(shedBy)
                .map(([reason, n]) => `${reason} ${n}`)
                .join(', ')}); not sent (no free socket): ${ours.notSent} / ${native.notSent}, ` +
              `unanswered: ${ours.unanswered} / ${native.unanswered}; CPU gateway ${gatewayCpuShare.toFixed(2)}, driver ${ours.driverCpuShare.toFixed(2)} cores`,
          },
          {
            measure: `overload ${factor}: events in Kafka / answered 202`,
            ours: stored,
            native: ours.answered,
            unit: 'events',
            note: "the gateway's 202s only: at least 1.00× means none was lost",
          },
        );
      }
    }
    if (memory !== undefined)
      rows.push({
        measure: "the gateway's memory cgroup at its peak, the whole run",
        ours: (memory.peakBytes() ?? NaN) / 2 ** 20,
        unit: 'MiB',
        note: describeMemoryLimit(memory),
      });
    report('gateway', rows, context);
    if (lost.length > 0) throw new Error(`answered 202 but not in Kafka: ${lost.join('; ')}`);
  } finally {
    await bare?.close();
    await producer.close().catch(() => undefined);
    await gateway.stop(30_000);
    // A run cut short by the limit says so.
    if (memory !== undefined && memory.oomKills() > 0) console.error(describeMemoryLimit(memory));
    memory?.remove();
    await registry.stop();
    const admin = new TopicAdmin(kafka);
    await admin.connect();
    await admin.deleteTopicsWithPrefix(`${ns}.`);
    await admin.disconnect();
    await dropPgSchema(ns);
  }
  if (profileDir !== undefined) {
    printProfile('Gateway', profileDir, GATEWAY_STAGES);
    printProfile('Bare handler', join(profileDir, 'bare'), GATEWAY_STAGES);
  }
}

runBench(main, 'ingestion-gateway');
