/**
 * An open-loop HTTP driver, run as a process of its own (`runOpenLoop`) so that neither the
 * server under test nor the bench's own bare handler shares its event loop: it sends `rate`
 * requests per second at fixed intervals, whether or not earlier ones were answered, over at
 * most `connections` keep-alive sockets. Latency counts from the intended send time, so time
 * queued for a free socket counts too (no coordinated omission); a second figure counts from
 * the moment the request was written to its socket, which leaves out the driver's own backlog
 * and so measures the wait at the server (its socket buffers, its queue, its work). Prints one
 * JSON result.
 *
 *   node <bench's loader> tools/bench/src/open-loop.ts '<OpenLoopOptions as JSON>'
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

export interface OpenLoopOptions {
  readonly url: string;
  readonly body: string;
  readonly headers: Record<string, string>;
  /** Requests per second offered. */
  readonly rate: number;
  readonly seconds: number;
  readonly connections: number;
  /** How long answers to requests sent in time are waited for after the last send. */
  readonly graceSeconds?: number;
  /**
   * A process (the server) whose CPU is measured over the sending window alone: not over the
   * sockets' warm-up before it, nor the grace period and teardown after it.
   */
  readonly serverPid?: number;
}

export interface OpenLoopResult {
  readonly offeredPerSec: number;
  /** Requests due within the run. */
  readonly offered: number;
  readonly answered: number;
  readonly shed: number;
  /** Answers other than 202 and 503, by status. */
  readonly other: Record<string, number>;
  /** Sent, but no answer within the grace period, or the socket failed. */
  readonly unanswered: number;
  /** Still waiting for a free socket when the run ended. */
  readonly notSent: number;
  readonly answeredPerSec: number;
  readonly p50AnsweredMs: number;
  readonly p99AnsweredMs: number;
  /** p99 of the answered requests from the moment each was written to its socket. */
  readonly p99AnsweredFromWriteMs: number;
  readonly p99ShedMs: number;
  /** CPU the driver itself used (user + system), as a share of one core. */
  readonly driverCpuShare: number;
  /** CPU `serverPid` used while requests were being sent, as a share of one core. */
  readonly serverCpuShare?: number;
}

/** CPU time (user + system) a process has used so far, µs, from `/proc/<pid>/stat`. */
export function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at the third: utime is the 14th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / CLOCK_TICKS_PER_SECOND;
}

/** `getconf CLK_TCK`: 100 on Linux for every architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Runs the driver in a child process and returns what it measured. */
export function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, __filename, JSON.stringify(options)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.once('error', fail);
    child.once('exit', (code) => {
      if (code === 0) done(JSON.parse(stdout) as OpenLoopResult);
      else fail(new Error(`open-loop driver exited with ${code}: ${stdout}`));
    });
  });
}

/** Sockets connected at once while warming up: well within a listen backlog of 511. */
const CONNECT_WAVE = 128;
const HEAD_END = Buffer.from('\r\n\r\n');
const LAST_CHUNK = Buffer.from('\r\n0\r\n\r\n');

/**
 * The length of the first complete response in `data`, and its status; undefined while it is
 * partial. Bodies come with a content length or chunked (Node's default after `writeHead`).
 */
function firstResponse(data: Buffer): { length: number; status: number } | undefined {
  const headEnd = data.indexOf(HEAD_END);
  if (headEnd === -1) return undefined;
  const head = data.toString('latin1', 0, headEnd).toLowerCase();
  const status = Number(head.slice(9, 12));
  if (head.includes('transfer-encoding: chunked')) {
    const last = data.indexOf(LAST_CHUNK, headEnd + 2);
    return last === -1 ? undefined : { length: last + LAST_CHUNK.length, status };
  }
  const at = head.indexOf('content-length:');
  const length = headEnd + 4 + (at === -1 ? 0 : parseInt(head.slice(at + 15), 10));
  return data.length < length ? undefined : { length, status };
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = Float64Array.from(xs).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const target = new URL(options.url);
  const port = Number(target.port);
  const request = Buffer.from(
    `POST ${target.pathname} HTTP/1.1\r\nhost: ${target.host}\r\n` +
      Object.entries(options.headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('') +
      `content-length: ${Buffer.byteLength(options.body)}\r\n\r\n${options.body}`,
  );
  const latency = { 202: [] as number[], 503: [] as number[] };
  const answeredFromWrite: number[] = [];
  const other: Record<string, number> = {};
  let failed = 0;
  const idle: Socket[] = [];
  /** Intended send times of the requests waiting for a socket, oldest first. */
  const waiting: number[] = [];
  let waitingHead = 0;
  /** Per socket with a request out: its intended send time and when it was written. */
  const sentAt = new Map<Socket, { intended: number; written: number }>();
  let open = 0;

  const sendNext = (socket: Socket): void => {
    if (waitingHead < waiting.length) {
      sentAt.set(socket, {
        intended: waiting[waitingHead++] as number,
        written: performance.now(),
      });
      socket.write(request);
    } else idle.push(socket);
  };
  const openSocket = (): Promise<void> => {
    open += 1;
    const socket = connect(port, target.hostname);
    socket.setNoDelay(true);
    let pending: Buffer | undefined;
    socket.on('data', (chunk: Buffer) => {
      pending = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        const response = firstResponse(pending);
        if (response === undefined) return;
        pending =
          response.length === pending.length ? undefined : pending.subarray(response.length);
        const at = sentAt.get(socket);
        sentAt.delete(socket);
        if (at !== undefined) {
          const now = performance.now();
          if (response.status === 202 || response.status === 503)
            latency[response.status].push(now - at.intended);
          else other[response.status] = (other[response.status] ?? 0) + 1;
          if (response.status === 202) answeredFromWrite.push(now - at.written);
        }
        sendNext(socket);
        if (pending === undefined) return;
      }
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      open -= 1;
      if (sentAt.delete(socket)) failed += 1;
      const i = idle.indexOf(socket);
      if (i !== -1) idle.splice(i, 1);
    });
    return new Promise((settled) => {
      socket.once('connect', () => {
        sendNext(socket);
        settled();
      });
      socket.once('close', () => settled());
    });
  };
  // Every socket is open before the first request: a burst of connects while the run is on
  // would overflow the server's accept queue, and a dropped SYN is retried only after 1 s, 3 s, …
  // (Connects that fail are tried again, up to three times the sockets in all.)
  for (let tried = 0; open < options.connections && tried < 3 * options.connections; ) {
    const wave = Math.min(CONNECT_WAVE, options.connections - open);
    tried += wave;
    await Promise.all(Array.from({ length: wave }, openSocket));
  }

  const cpuBefore = process.cpuUsage();
  const server =
    options.serverPid === undefined
      ? undefined
      : { pid: options.serverPid, cpuBefore: processCpuMicros(options.serverPid) };
  const interval = 1000 / options.rate;
  const started = performance.now();
  const end = started + options.seconds * 1000;
  let next = started;
  await new Promise<void>((done) => {
    const tick = (): void => {
      const now = performance.now();
      while (next <= now && next < end) {
        waiting.push(next);
        next += interval;
      }
      while (waitingHead < waiting.length && idle.length > 0) sendNext(idle.pop() as Socket);
      // Sockets still connecting take requests when they connect.
      const connecting = open - idle.length - sentAt.size;
      for (
        let n = waiting.length - waitingHead - connecting;
        n > 0 && open < options.connections;
        n--
      )
        void openSocket();
      if (now >= end) done();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const cpu = process.cpuUsage(cpuBefore);
  const serverCpu =
    server === undefined ? undefined : processCpuMicros(server.pid) - server.cpuBefore;
  const sentFor = performance.now() - started;
  const offered = waiting.length;
  const notSent = offered - waitingHead;
  waiting.length = waitingHead = 0; // nothing more is sent
  const graceUntil = performance.now() + (options.graceSeconds ?? 2) * 1000;
  while (sentAt.size > 0 && performance.now() < graceUntil)
    await new Promise((done) => setTimeout(done, 10));
  const unanswered = sentAt.size + failed;
  for (const s of [...idle, ...sentAt.keys()]) s.destroy();
  return {
    offeredPerSec: options.rate,
    offered,
    answered: latency[202].length,
    shed: latency[503].length,
    other,
    unanswered,
    notSent,
    answeredPerSec: latency[202].length / options.seconds,
    p50AnsweredMs: percentile(latency[202], 50),
    p99AnsweredMs: percentile(latency[202], 99),
    p99AnsweredFromWriteMs: percentile(answeredFromWrite, 99),
    p99ShedMs: percentile(latency[503], 99),
    driverCpuShare: (cpu.user + cpu.system) / 1000 / (end - started),
    ...(serverCpu === undefined ? {} : { serverCpuShare: serverCpu / 1000 / sentFor }),
  };
}

if (require.main === module) {
  openLoop(JSON.parse(process.argv[2] ?? '{}') as OpenLoopOptions).then(
    (result) => {
      process.stdout.write(JSON.stringify(result));
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
