import type { KafkaSettings } from '@platform/config';
import type { LibrdKafkaError, Producer as NativeProducer } from '@confluentinc/kafka-javascript';
import { MessagingError } from './messaging.error';
import type { ProducerRecord, RecordProducer } from './record-producer';

export interface RdkafkaProducerOptions {
  /** Overrides `settings.client_id`. */
  readonly clientId?: string;
  /** How long one `send` may wait for its acknowledgements. Default 60 s. */
  readonly sendTimeoutMs?: number;
  /** Default 5 ms: how long librdkafka waits to fill a record batch between `send`s. */
  readonly lingerMs?: number;
  /** Extra librdkafka properties, last word (tests). */
  readonly extra?: Readonly<Record<string, string | number | boolean>>;
}

type NativeModule = typeof import('@confluentinc/kafka-javascript');

/** librdkafka properties for the `kafka` config section: idempotent, acks=all, murmur2. */
export function toRdkafkaConfig(
  settings: KafkaSettings,
  options: RdkafkaProducerOptions = {},
): Record<string, string | number | boolean> {
  if (settings.brokers.length === 0) {
    throw new MessagingError('CONFIG_INVALID', 'kafka.brokers must list at least one broker', {
      retriable: false,
    });
  }
  const ssl = settings.ssl !== false;
  const sasl = settings.sasl;
  const conf: Record<string, string | number | boolean> = {
    'bootstrap.servers': settings.brokers.join(','),
    'client.id': options.clientId ?? settings.client_id,
    'security.protocol': `${sasl === undefined ? '' : 'sasl_'}${ssl ? 'ssl' : 'plaintext'}`,
    'enable.idempotence': true,
    acks: -1,
    'max.in.flight.requests.per.connection': 5,
    // The Java client's (and kafkajs's) partitioner: a key lands where it does with kafkajs.
    partitioner: 'murmur2_random',
    'compression.codec': settings.compression === 'gzip' ? 'gzip' : 'none',
    'linger.ms': options.lingerMs ?? 5,
    'socket.connection.setup.timeout.ms': settings.connection_timeout_ms,
    'request.timeout.ms': settings.request_timeout_ms,
    // A send is at most a few dispatches of messages; the queue never needs to refuse one.
    'queue.buffering.max.messages': 1_000_000,
    // Delivery reports for failures only: successes are known from `flush` (see `send`).
    'delivery.report.only.error': true,
    dr_cb: true,
  };
  if (typeof settings.ssl === 'object') {
    if (settings.ssl.ca !== undefined && settings.ssl.ca !== '')
      conf['ssl.ca.pem'] = settings.ssl.ca;
    if (settings.ssl.cert !== undefined && settings.ssl.cert !== '') {
      conf['ssl.certificate.pem'] = settings.ssl.cert;
    }
    if (settings.ssl.key !== undefined && settings.ssl.key !== '')
      conf['ssl.key.pem'] = settings.ssl.key;
    if (settings.ssl.reject_unauthorized === false) {
      conf['enable.ssl.certificate.verification'] = false;
    }
  }
  if (sasl !== undefined) {
    conf['sasl.mechanisms'] = sasl.mechanism.toUpperCase();
    conf['sasl.username'] = sasl.username;
    conf['sasl.password'] = sasl.password;
  }
  return { ...conf, ...options.extra };
}

/** Loads the native client, saying how to build it when it is missing. */
export async function loadRdkafka(): Promise<NativeModule> {
  try {
    // A CommonJS module: under an ESM loader (tsx) its exports are on `default`.
    const mod = (await import('@confluentinc/kafka-javascript')) as NativeModule & {
      default?: NativeModule;
    };
    return typeof mod.Producer === 'function' ? mod : (mod.default as NativeModule);
  } catch (e) {
    throw new MessagingError(
      'CONFIG_INVALID',
      `the librdkafka producer needs @confluentinc/kafka-javascript built for this Node (npm ci builds it; ` +
        `rebuild with CKJS_LINKING=dynamic npm rebuild @confluentinc/kafka-javascript): ${
          e instanceof Error ? e.message : String(e)
        }`,
      { retriable: false, cause: e },
    );
  }
}

function produceError(e: unknown, what: string): MessagingError {
  const err = e as Partial<LibrdKafkaError> | null;
  const retriable = err?.isRetriable === true || err?.code === -184; // -184: queue full
  return new MessagingError(
    'PRODUCE_FAILED',
    `${what}: ${e instanceof Error ? e.message : String(e)}${
      err?.code === undefined ? '' : ` (librdkafka code ${err.code})`
    }`,
    { retriable, cause: e },
  );
}

/**
 * The librdkafka adapter of the producer port (`@confluentinc/kafka-javascript`, native API).
 *
 * librdkafka is idempotent here (acks=all, up to 5 requests in flight per connection,
 * sequence numbers kept across its own retries), so ordering and no-duplicates are its job.
 * A `send` hands every record to librdkafka at once (a synchronous copy into its queue, in
 * call order; no promise or object per record), then waits for a `flush` that started after
 * it: `flush` returns once no record handed over before it started is unacknowledged. Sends
 * that arrive while a flush runs share the next one, so librdkafka always has records to send
 * and JS pays one flush per round, not per send.
 *
 * Delivery reports come for failures only (`delivery.report.only.error`). A failure reported
 * while flush k ran belongs to a record handed over before flush k started: to a send of
 * round k, or of round k-1 whose records were still in flight. Both rounds fail, so a failed
 * record always fails its send (a send may fail for a neighbour's record: its caller retries,
 * at least once). A fatal error (an idempotence violation) fails every later send.
 */
export class RdkafkaRecordProducer implements RecordProducer {
  readonly client = 'librdkafka' as const;
  readonly preferredBatchSize = 5_000;
  /** librdkafka lingers (`linger.ms`) and batches per partition itself: hand records over at once. */
  readonly preferredLingerMs = 0;
  readonly maxConcurrentSends = 16;
  private producer: NativeProducer | undefined;
  /** Failure reported since the last flush ended (taken by the next one). */
  private failure: MessagingError | undefined;
  private fatal: MessagingError | undefined;
  /** The flush running now, if any. */
  private running: Promise<MessagingError | undefined> | undefined;
  /** The next round: starts when `running` ends; sends handed over until then wait for it. */
  private nextRound: Promise<void> | undefined;
  private readonly conf: Record<string, string | number | boolean>;
  private readonly sendTimeoutMs: number;

  constructor(settings: KafkaSettings, options: RdkafkaProducerOptions = {}) {
    this.conf = toRdkafkaConfig(settings, options);
    this.sendTimeoutMs = options.sendTimeoutMs ?? 60_000;
  }

  async connect(): Promise<void> {
    const native = await loadRdkafka();
    const producer = new native.Producer({ ...this.conf } as never);
    producer.on('delivery-report', (err, report) => {
      if (err) this.failure ??= produceError(err, `produce to ${report.topic}`);
    });
    producer.on('event.error', (err) => {
      // Fatal errors (an idempotence violation) end the producer; others librdkafka retries.
      if ((err as Partial<LibrdKafkaError>).isFatal === true) {
        this.fatal ??= produceError(err, 'fatal producer error');
      }
    });
    const timeout = Number(this.conf['socket.connection.setup.timeout.ms'] ?? 10_000);
    await new Promise<void>((resolve, reject) => {
      producer.connect({ timeout }, (err) =>
        err ? reject(produceError(err, 'librdkafka producer connect')) : resolve(),
      );
    });
    this.producer = producer;
  }

  send(batches: ReadonlyMap<string, readonly ProducerRecord[]>): Promise<void> {
    const producer = this.producer;
    if (producer === undefined) {
      return Promise.reject(
        new MessagingError('NOT_STARTED', 'librdkafka producer not connected', {
          retriable: false,
        }),
      );
    }
    if (this.fatal !== undefined) return Promise.reject(this.fatal);
    try {
      for (const [topic, records] of batches) {
        for (const r of records) this.produceOne(producer, topic, r);
      }
    } catch (e) {
      // What was handed over is still delivered or reported; this send fails either way.
      const error = produceError(e, 'produce');
      return this.round().then(
        () => Promise.reject(error),
        () => Promise.reject(error),
      );
    }
    return this.round();
  }

  /** Resolves after a flush that started after this call; rejects if its round failed. */
  private round(): Promise<void> {
    if (this.nextRound !== undefined) return this.nextRound;
    const round = this.runRound(this.running);
    this.nextRound = round;
    return round;
  }

  private async runRound(previous: Promise<MessagingError | undefined> | undefined): Promise<void> {
    // Always awaits (a microtask even with no flush running), so `round` has set `nextRound`
    // before this clears it: sends until the flush starts join this round.
    const previousFailure = await previous;
    // From here on, records handed over need a later flush.
    this.nextRound = undefined;
    const flush = this.flushOnce();
    this.running = flush;
    const failure = await flush;
    if (this.running === flush) this.running = undefined;
    const error = this.fatal ?? failure ?? previousFailure;
    if (error !== undefined) throw error;
  }

  /** One flush; the failure reported while it ran, if any. */
  private async flushOnce(): Promise<MessagingError | undefined> {
    const producer = this.producer;
    let error: MessagingError | undefined;
    if (producer === undefined) {
      error = new MessagingError('CLOSED', 'librdkafka producer disconnected', {
        retriable: false,
      });
    } else {
      error = await new Promise<MessagingError | undefined>((resolve) => {
        producer.flush(this.sendTimeoutMs, (err) =>
          resolve(err ? produceError(err, 'produce (waiting for acknowledgements)') : undefined),
        );
      });
    }
    // The flush served every report before returning; they reach JS in the same loop turn
    // as its completion, or the next.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const failure = error ?? this.failure;
    this.failure = undefined;
    return failure;
  }

  private produceOne(producer: NativeProducer, topic: string, r: ProducerRecord): void {
    const key = r.key === null ? null : r.key;
    if (r.headers === undefined) {
      producer.produce(topic, null, r.value, key);
      return;
    }
    const headers = Object.entries(r.headers).map(([k, v]) => ({ [k]: v }));
    producer.produce(topic, null, r.value, key, null, undefined, headers);
  }

  async disconnect(): Promise<void> {
    const producer = this.producer;
    if (producer === undefined) return;
    await this.nextRound?.catch(() => undefined);
    this.producer = undefined;
    await new Promise<void>((resolve) => {
      producer.disconnect(this.sendTimeoutMs, () => resolve());
    });
  }
}
