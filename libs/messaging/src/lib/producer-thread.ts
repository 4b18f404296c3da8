/**
 * The thread `ThreadedRecordProducer` starts: a kafkajs idempotent producer that sends the
 * packed record batches it is handed, one `send` at a time in the order they came, and
 * answers each with its outcome. See threaded-record-producer.ts for the protocol.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createKafka } from './kafka-client';
import type { KafkaLogRecord } from './kafka-logger';
import { toMessagingError } from './messaging.error';
import { unpackRecords, type PackedRecords } from './packed-records';
import { kafkajsRecordProducer } from './record-producer';
import type { ThreadReply, ThreadRequest, ThreadSettings } from './threaded-record-producer';

function start(port: NonNullable<typeof parentPort>, settings: ThreadSettings): void {
  const reply = (message: ThreadReply): void => port.postMessage(message);
  const log = (record: KafkaLogRecord): void =>
    // Fields may hold what a thread cannot clone (functions, sockets): send their JSON.
    reply({ type: 'log', record: JSON.parse(JSON.stringify(record)) as KafkaLogRecord });
  const kafka = createKafka(settings.kafka, {
    clientId: settings.clientId,
    logLevel: settings.logLevel,
    logger: log,
  });
  const producer = kafkajsRecordProducer(kafka, settings.compression);
  const queue: { readonly id: number; readonly packed: PackedRecords }[] = [];
  let sending = false;

  const failure = (id: number, error: unknown): ThreadReply => {
    const e = toMessagingError(error, 'produce');
    return {
      type: 'done',
      id,
      error: { code: e.code, message: e.message, retriable: e.retriable, kafkaCode: e.kafkaCode },
    };
  };

  // One send at a time, in arrival order: a retried request is never overtaken by a later one.
  const drain = async (): Promise<void> => {
    if (sending) return;
    sending = true;
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      try {
        await producer.send(unpackRecords(next.packed));
        reply({ type: 'done', id: next.id });
      } catch (error) {
        reply(failure(next.id, error));
      }
    }
    sending = false;
  };

  port.on('message', (request: ThreadRequest) => {
    switch (request.type) {
      case 'send':
        queue.push(request);
        void drain();
        return;
      case 'connect':
        producer.connect().then(
          () => reply({ type: 'done', id: request.id }),
          (error: unknown) => reply(failure(request.id, error)),
        );
        return;
      case 'disconnect':
        producer.disconnect().then(
          () => reply({ type: 'done', id: request.id }),
          (error: unknown) => reply(failure(request.id, error)),
        );
        return;
    }
  });
}

if (parentPort !== null) start(parentPort, workerData as ThreadSettings);
