import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { KafkaSettings } from '@platform/config';
import { Compression } from './kafka-port';
import type { KafkaLogLevel, KafkaLogRecord, KafkaLogSink } from './kafka-logger';
import { MessagingError } from './messaging.error';
import { packRecords, type PackedRecords, type RecordBatches } from './packed-records';
import type { RecordProducer } from './record-producer';

/** What the producer thread is started with (cloned into it). */
export interface ThreadSettings {
  readonly kafka: KafkaSettings;
  readonly clientId: string;
  readonly compression: Compression;
  readonly logLevel: KafkaLogLevel | 'nothing';
}

/** Asked of the producer thread; each is answered by one `done` with the same id. */
export type ThreadRequest =
  | { readonly type: 'connect' | 'disconnect'; readonly id: number }
  | { readonly type: 'send'; readonly id: number; readonly packed: PackedRecords };

/** What the producer thread answers: outcomes, and kafkajs' log records. */
export type ThreadReply =
  | {
      readonly type: 'done';
      readonly id: number;
      readonly error?: {
        readonly code: string;
        readonly message: string;
        readonly retriable: boolean;
        readonly kafkaCode?: number | undefined;
      };
    }
  | { readonly type: 'log'; readonly record: KafkaLogRecord };

export interface ThreadedRecordProducerOptions {
  /** Overrides `settings.client_id`. */
  readonly clientId?: string;
  /** Record-batch compression: pass `compressionCodec(settings)`. Default none. */
  readonly compression?: Compression;
  /** kafkajs' log level in the thread. Default `error`. */
  readonly logLevel?: KafkaLogLevel | 'nothing';
  /** Where the thread's kafkajs log records go. Default: dropped. */
  readonly logger?: KafkaLogSink;
}

/**
 * The kafkajs producer (idempotent, acks=all) on a thread of its own: a `send` packs its
 * records into one buffer and hands it over without a copy; the thread builds and writes
 * the produce requests, reads the acknowledgements and answers. The calling thread keeps
 * only the encoding of its events, so a CPU-bound sender (the generator at full rate) runs
 * beside the protocol work instead of taking turns with it
 * (docs/adr/0026-producer-on-its-own-thread.md).
 *
 * Order: the thread sends one `send` at a time, in the order they were handed over, so
 * several may be in flight from here without a retried request being overtaken. What is
 * not acknowledged when the thread fails rejects, as does every later call.
 */
export class ThreadedRecordProducer implements RecordProducer {
  readonly client = 'kafkajs' as const;
  readonly preferredBatchSize = 2000;
  readonly preferredLingerMs = 5;
  /** Handed over in call order and sent one at a time by the thread (see above). */
  readonly maxConcurrentSends = 4;

  private readonly settings: ThreadSettings;
  private readonly logger: KafkaLogSink | undefined;
  private thread: Worker | undefined;
  private readonly pending = new Map<
    number,
    { resolve: () => void; reject: (e: MessagingError) => void }
  >();
  private nextId = 0;
  private failed: MessagingError | undefined;

  constructor(settings: KafkaSettings, options: ThreadedRecordProducerOptions = {}) {
    this.settings = {
      kafka: settings,
      clientId: options.clientId ?? settings.client_id,
      compression: options.compression ?? Compression.None,
      logLevel: options.logLevel ?? 'error',
    };
    this.logger = options.logger;
  }

  async connect(): Promise<void> {
    this.thread ??= this.startThread();
    try {
      await this.request({ type: 'connect', id: this.nextId++ });
    } catch (error) {
      // Nobody disconnects what failed to connect: the thread must not keep the process alive.
      await this.stopThread();
      throw error;
    }
  }

  send(batches: RecordBatches): Promise<void> {
    const packed = packRecords(batches);
    return this.request({ type: 'send', id: this.nextId++, packed }, [packed.buffer]);
  }

  async disconnect(): Promise<void> {
    if (this.thread === undefined) return;
    try {
      if (this.failed === undefined) await this.request({ type: 'disconnect', id: this.nextId++ });
    } finally {
      await this.stopThread();
    }
  }

  private async stopThread(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    await thread?.terminate();
    // Sends still queued there (a flush that timed out before the disconnect) never will be.
    this.rejectPending(
      new MessagingError('CLOSED', 'the producer was disconnected before Kafka acknowledged', {
        retriable: true,
      }),
    );
  }

  private request(message: ThreadRequest, transfer: ArrayBuffer[] = []): Promise<void> {
    const thread = this.thread;
    if (this.failed !== undefined) return Promise.reject(this.failed);
    if (thread === undefined) {
      return Promise.reject(
        new MessagingError('NOT_STARTED', 'the producer thread is not running: connect() first', {
          retriable: false,
        }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      thread.postMessage(message, transfer);
    });
  }

  private startThread(): Worker {
    const thread = spawnProducerThread(this.settings);
    thread.on('message', (reply: ThreadReply) => {
      if (reply.type === 'log') {
        this.logger?.(reply.record);
        return;
      }
      const waiter = this.pending.get(reply.id);
      if (waiter === undefined) return;
      this.pending.delete(reply.id);
      if (reply.error === undefined) {
        waiter.resolve();
        return;
      }
      const { code, message, retriable, kafkaCode } = reply.error;
      waiter.reject(
        new MessagingError(code, message, {
          retriable,
          ...(kafkaCode === undefined ? {} : { kafkaCode }),
        }),
      );
    });
    thread.on('error', (error) => this.fail(`the producer thread failed: ${error.message}`, error));
    thread.on('exit', (code) => {
      if (this.thread === thread) this.fail(`the producer thread exited (code ${code})`);
    });
    return thread;
  }

  /** The thread is gone: what it held may or may not have been written, and nothing more will be. */
  private fail(message: string, cause?: unknown): void {
    this.failed ??= new MessagingError('PRODUCER_THREAD_FAILED', message, {
      retriable: false,
      cause,
    });
    this.rejectPending(this.failed);
  }

  private rejectPending(error: MessagingError): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

/**
 * Starts producer-thread.js, beside this module when compiled and beside the service's
 * bundle in an image; from TypeScript sources (tests, `npm run generator`) the thread loads
 * its `.ts` entry through ts-node, as the process does.
 */
function spawnProducerThread(settings: ThreadSettings): Worker {
  const compiled = join(__dirname, 'producer-thread.js');
  if (existsSync(compiled)) return new Worker(compiled, { workerData: settings });
  const requires = [
    require.resolve('ts-node/register/transpile-only'),
    require.resolve('tsconfig-paths/register'),
    join(__dirname, 'producer-thread.ts'),
  ];
  return new Worker(requires.map((r) => `require(${JSON.stringify(r)});`).join('\n'), {
    eval: true,
    workerData: settings,
  });
}
