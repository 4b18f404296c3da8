import type { RecordHeaders } from '../kafka-port';

/** A record a stream task writes in its next transaction. */
export interface OutboxRecord {
  key: Buffer | string | null;
  value: Buffer | string | null;
  /** Unset: the producer's partitioner picks it from the key. */
  partition?: number;
  headers?: RecordHeaders;
}

/**
 * What a task has processed and not committed yet: the records of its next transaction, by
 * topic, and `notes` for whoever wants to hear about them once they are committed.
 */
export class Outbox<N = never> {
  readonly messages = new Map<string, OutboxRecord[]>();
  readonly notes: N[] = [];
  /** Holds the last output of a bounded input (a run-once final flush). */
  final = false;

  push(topic: string, record: OutboxRecord): void {
    let list = this.messages.get(topic);
    if (list === undefined) this.messages.set(topic, (list = []));
    list.push(record);
  }

  /** Records of `topic` so far (tests and diagnostics). */
  of(topic: string): readonly OutboxRecord[] {
    return this.messages.get(topic) ?? [];
  }
}
