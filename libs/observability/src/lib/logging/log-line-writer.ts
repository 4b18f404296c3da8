import { writeSync } from 'node:fs';

export interface LogLineWriterOptions {
  /** Default 1 (stdout). */
  readonly fd?: number;
  /** Bytes held while the reader is behind; a line that would go past them is dropped. */
  readonly maxQueuedBytes?: number;
  /** How often held lines are offered again while the reader is behind. */
  readonly retryMs?: number;
  /** Longest a process exit waits for a reader that is behind. */
  readonly exitFlushMs?: number;
}

const DEFAULT_MAX_QUEUED_BYTES = 16 * 1_048_576;
const DEFAULT_RETRY_MS = 20;
const DEFAULT_EXIT_FLUSH_MS = 2_000;

/**
 * Where a service's log lines go: written to the descriptor at once, in the logging call, as
 * long as the reader keeps up (so the last lines before a crash are out), and never blocking
 * the event loop when it does not. pino's synchronous destination blocks the whole process
 * while a pipe is full: on a pipe in non-blocking mode it sleeps 100 ms per attempt
 * (`EAGAIN`), on a blocking one it waits in the kernel, so a log collector that falls behind
 * stalls every request. Here, once a write would block, lines are held in memory (up to
 * `maxQueuedBytes`, then dropped and counted) and offered again every `retryMs` in order. How
 * many were lost is said once the reader has caught up, before the program's output, and at
 * exit; that line is never dropped. At exit, held lines get up to `exitFlushMs` to go out.
 */
export class LogLineWriter {
  private readonly fd: number;
  private readonly maxQueuedBytes: number;
  private readonly retryMs: number;
  private readonly exitFlushMs: number;
  /** Held bytes, in order; those before `head` are written. */
  private queue: Buffer[] = [];
  private head = 0;
  private queuedBytes = 0;
  private droppedLines = 0;
  /** The queue index past the last held line of program output (see `writeOutput`). */
  private outputEnd = 0;
  private timer: NodeJS.Timeout | undefined;
  /** True while `onDropped` writes its line, which the bound does not apply to. */
  private reportingDrops = false;
  /** Told how many lines were dropped: once the reader has caught up, before output, at exit. */
  onDropped: ((lines: number) => void) | undefined;

  constructor(options: LogLineWriterOptions = {}) {
    this.fd = options.fd ?? 1;
    this.maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    this.retryMs = options.retryMs ?? DEFAULT_RETRY_MS;
    this.exitFlushMs = options.exitFlushMs ?? DEFAULT_EXIT_FLUSH_MS;
    process.once('exit', () => this.flushSync());
  }

  write(line: string): void {
    this.writeLine(line, false);
  }

  /**
   * The program's own output (a summary, a table), after every log line before it: never
   * dropped, and a process exit waits for it however late the reader is, as a blocking
   * `process.stdout.write` would have.
   */
  writeOutput(text: string): void {
    this.reportDrops();
    this.writeLine(text, true);
  }

  private writeLine(line: string, output: boolean): void {
    if (this.head < this.queue.length) {
      this.hold(Buffer.from(line, 'utf8'), output);
      return;
    }
    let written: number;
    try {
      written = writeSync(this.fd, line, null, 'utf8');
    } catch (error) {
      if (!wouldBlock(error)) {
        // The reader is gone (EPIPE, a closed descriptor): nothing can carry the line.
        this.droppedLines += 1;
        return;
      }
      written = 0;
    }
    // A pipe may take part of a long line: the rest waits its turn.
    if (written < line.length || written !== Buffer.byteLength(line, 'utf8')) {
      this.hold(Buffer.from(line, 'utf8').subarray(written), output);
    }
  }

  /**
   * Writes what is held, waiting for the reader up to `exitFlushMs` (for the process exit), or
   * for as long as program output is held.
   */
  flushSync(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    // A drop shortly before the exit would otherwise never be said.
    this.reportDrops();
    const deadline = Date.now() + this.exitFlushMs;
    while (!this.writeHeld() && (Date.now() < deadline || this.head < this.outputEnd)) {
      sleepSync(5);
    }
  }

  private hold(bytes: Buffer, output: boolean): void {
    if (!output && !this.reportingDrops && this.queuedBytes + bytes.length > this.maxQueuedBytes) {
      this.droppedLines += 1;
      return;
    }
    this.queue.push(bytes);
    if (output) this.outputEnd = this.queue.length;
    this.queuedBytes += bytes.length;
    this.timer ??= setTimeout(() => this.retry(), this.retryMs).unref();
  }

  private retry(): void {
    this.timer = undefined;
    if (!this.writeHeld()) {
      this.timer = setTimeout(() => this.retry(), this.retryMs).unref();
      return;
    }
    this.reportDrops();
  }

  /** Tells `onDropped` how many lines were dropped since it was last told, if any. */
  private reportDrops(): void {
    const dropped = this.droppedLines;
    if (dropped === 0 || this.onDropped === undefined) return;
    this.droppedLines = 0;
    this.reportingDrops = true;
    try {
      this.onDropped(dropped);
    } finally {
      this.reportingDrops = false;
    }
  }

  /** Writes held lines until the reader is behind again; true once none is left. */
  private writeHeld(): boolean {
    while (this.head < this.queue.length) {
      const bytes = this.queue[this.head] as Buffer;
      let written: number;
      try {
        written = writeSync(this.fd, bytes);
      } catch (error) {
        if (wouldBlock(error)) return false;
        this.droppedLines += this.queue.length - this.head;
        break;
      }
      this.queuedBytes -= written;
      if (written < bytes.length) {
        this.queue[this.head] = bytes.subarray(written);
        return false;
      }
      this.head += 1;
    }
    this.queue = [];
    this.head = 0;
    this.outputEnd = 0;
    this.queuedBytes = 0;
    return true;
  }
}

function wouldBlock(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'EAGAIN' || code === 'EWOULDBLOCK';
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

let stdoutWriter: LogLineWriter | undefined;

/**
 * The one writer of stdout's log lines in this process (every logger shares its order). It
 * reads `process.stdout` first: for a pipe, Node then puts the descriptor in non-blocking
 * mode, so a full pipe is seen as `EAGAIN` instead of blocking the write.
 */
export function stdoutLogLines(): LogLineWriter {
  if (stdoutWriter === undefined) {
    void process.stdout;
    stdoutWriter = new LogLineWriter({ fd: 1 });
  }
  return stdoutWriter;
}

/**
 * Writes a program's own output (a closing summary, a table) to stdout as
 * `process.stdout.write` would, but in order with the process's log lines: a log line the
 * writer still holds for a slow reader is not overtaken, and the exit waits for the output.
 * Held output is not bounded, so this is for a program's final words, not for a stream.
 */
export function writeOutput(text: string): void {
  stdoutLogLines().writeOutput(text);
}
