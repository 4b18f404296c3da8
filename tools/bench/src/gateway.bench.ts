/**
 * Ingestion gateway: requests/s, events/s and p50/p99 latency of `POST /v1/events` at
 * batch 1 and batch 100, measured by wrk (a separate process), beside a bare `node:http`
 * handler that produces the same events through the same Avro `EventProducer` (idempotent,
 * acks=all) and answers after the acks: the ceiling of any HTTP front of that producer.
 *
 * Two more cases give every event a client `event_id`, new on every request: the gateway then
 * checks and records them in its shared idempotency window (PostgreSQL); the bare handler does not.
 *
 *   npx tsx tools/bench/src/gateway.bench.ts [--seconds 10] [--connections 16]
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
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, report, requireTool, type Row } from './harness';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
/** Batch sizes; `clientIds`: every event carries an `event_id`, unique per request. */
const CASES = [
  { size: 1, clientIds: false, label: 'batch 1' },
  { size: 100, clientIds: false, label: 'batch 100' },
  { size: 1, clientIds: true, label: 'batch 1, client event_id' },
  { size: 100, clientIds: true, label: 'batch 100, client event_id' },
] as const;

/** Replaced by wrk, per request, with an id unique across its threads. */
const ID_PLACEHOLDER = '__EVENT_ID__';

interface WrkResult {
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
}

const UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000 };

/**
 * wrk with a POST script and `--latency`: rate, latency percentiles, non-2xx answers. A body
 * holding {@link ID_PLACEHOLDER} gets a fresh id in it on every request.
 */
async function wrkPost(
  url: string,
  body: string,
  headers: Record<string, string>,
  secs: number,
): Promise<WrkResult> {
  const script = join(tmpdir(), `${uniqueName('wrk')}.lua`);
  const lua = [
    'wrk.method = "POST"',
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
  const stdout = await new Promise<string>((done, fail) => {
    const child = spawn(
      requireTool('wrk', 'wrk'),
      ['-t', '2', '-c', String(connections), '-d', `${secs}s`, '--latency', '-s', script, url],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString('utf8')));
    child.once('error', fail);
    child.once('exit', () => done(text));
  });
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  const pct = (p: string): number => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(stdout);
    return m === null ? NaN : Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] ?? NaN);
  };
  if (rate === null) throw new Error(`wrk printed no rate:\n${stdout}`);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
  return {
    requestsPerSec: Number(rate[1]),
    p50Ms: pct('50'),
    p99Ms: pct('99'),
    non2xx: non2xx === null ? 0 : Number(non2xx[1]),
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

async function main(): Promise<void> {
  const ns = uniqueName('bench_gw');
  const env: Record<string, string> = {
    ENVIRONMENT: 'test',
    LOG_LEVEL: 'warn',
    OTEL_SDK_DISABLED: 'true',
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
  const gateway = await startService({
    entry: 'apps/ingestion-gateway/src/main.ts',
    env,
    healthPath: '/readyz',
  });
  const producer = new EventProducer({
    kafka,
    model: config.model,
    prefixes: config.topics,
    registry: new SchemaRegistryClient({ url: registry.url }),
    clientId: 'bench-bare',
  });
  let bare: { url: string; close(): Promise<void> } | undefined;
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

    const rows: Row[] = [];
    const context: Record<string, unknown> = { seconds, connections, wrkThreads: 2 };
    for (const { size, clientIds, label } of CASES) {
      const body = batchBody(size, clientIds);
      const json = { 'content-type': 'application/json' };
      const run = async (
        url: string,
        headers: Record<string, string>,
        secs: number,
      ): Promise<WrkResult> => {
        const result = await wrkPost(url, body, headers, secs);
        if (result.non2xx > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers`);
        return result;
      };
      // Warm-up: JIT, connections, schema ids cached.
      await run(`${gateway.url}/v1/events`, { ...json, 'x-write-key': key }, 2);
      await run(`${bare.url}/v1/events`, json, 2);
      const ours = await run(`${gateway.url}/v1/events`, { ...json, 'x-write-key': key }, seconds);
      const native = await run(`${bare.url}/v1/events`, json, seconds);
      context[label] = { gateway: ours, bare: native };
      const note = `${label}, ${connections} connections`;
      rows.push(
        {
          measure: `requests/s, ${label}`,
          ours: ours.requestsPerSec,
          native: native.requestsPerSec,
          unit: 'req/s',
          note,
        },
        {
          measure: `events/s, ${label}`,
          ours: ours.requestsPerSec * size,
          native: native.requestsPerSec * size,
          unit: 'ev/s',
          note,
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
      );
    }
    report('gateway', rows, context);
  } finally {
    await bare?.close();
    await producer.close().catch(() => undefined);
    await gateway.stop();
    await registry.stop();
    const admin = new TopicAdmin(kafka);
    await admin.connect();
    await admin.deleteTopicsWithPrefix(`${ns}.`);
    await admin.disconnect();
    await dropPgSchema(ns);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
