/**
 * The sink writer's per-record work in this process, no Kafka and no database: decode the
 * Avro of the generator's events (`decodeBatch`, as the batch consumer does), plan a flush
 * (`planWrites`) and encode its rows as binary COPY, for flushes of 1,000 to 50,000 records.
 * The work per record is the same at every size; what changes is how many decoded records
 * are alive at once, and so what each scavenge of the young generation has to copy. Two
 * designs: every record decoded whole and its row encoded (`writeBatch`), and only the key
 * and time decoded with the rows written from the Avro bytes (`writeAvroBatch`, the writer's).
 *
 *   npx tsx tools/bench/src/sink-steps.bench.ts [--count 300000]
 */
import { parseArgs } from 'node:util';
import { load } from '@platform/config';
import { eventTopic } from '@platform/contracts';
import { decodeBatch, type ConsumedMessage, type DecodedRecord } from '@platform/messaging';
import { modelSerde } from '@platform/schema-registry';
import {
  copyBinaryAvroWriter,
  copyBinaryBodyOf,
  copyBinaryWriter,
  planWrites,
  type ColumnSpec,
  tableBindings,
  type Row as SinkRow,
} from '@platform/sink-adapters';
import { SyntheticGenerator } from '@platform/synthetic';
import { report, runBench, type Row } from './harness';

const { values } = parseArgs({ options: { count: { type: 'string', default: '300000' } } });
const count = Number(values.count);
const FLUSHES = [1_000, 5_000, 50_000];
/** Records per fetched batch handed to the decode, as kafkajs hands them over. */
const FETCHED = 500;

async function main(): Promise<void> {
  const { model, topics } = await load({ environment: 'test' });
  const { serde, encodeEvent } = modelSerde(model);
  const input: { topic: string; message: ConsumedMessage }[] = [];
  for (const { eventType, event } of new SyntheticGenerator(model, { seed: 7 }).stream({ count })) {
    const value = encodeEvent(eventType, event);
    input.push({
      topic: eventTopic(topics, eventType),
      message: {
        offset: String(input.length),
        timestamp: String(Date.now()),
        key: Buffer.from(`user_${input.length % 1_000}`),
        value,
        headers: {},
      },
    });
  }
  await serde.loadWriterSchemas(input.map((i) => i.message.value));
  const bindings = tableBindings(model, topics, ['events']);
  const encoders = new Map(
    [...bindings.values()].map((b) => [b.table, copyBinaryWriter(b.schema.columns)]),
  );
  // The writer's design: only the key and time decoded, rows written from the Avro bytes.
  const keyAndTime = new Map(
    [...bindings.values()].map((b) => [
      b.topic,
      serde.projection([...b.schema.key, b.schema.timeSeries?.column ?? 'timestamp']),
    ]),
  );
  const schemaId = (value: Buffer): number => value.readUInt32BE(1);
  const avroWriters = new Map<string, ReturnType<typeof copyBinaryAvroWriter>>();
  const avroWriterOf = (table: string, columns: readonly ColumnSpec[], id: number) => {
    const key = `${table}/${id}`;
    if (!avroWriters.has(key))
      avroWriters.set(key, copyBinaryAvroWriter(columns, serde.writerSchemaOf(id)));
    return avroWriters.get(key);
  };

  // The input as fetched batches: up to FETCHED records of one topic each.
  const fetched: { topic: string; messages: ConsumedMessage[] }[] = [];
  for (const { topic, message } of input) {
    const last = fetched.at(-1);
    if (last?.topic === topic && last.messages.length < FETCHED) last.messages.push(message);
    else fetched.push({ topic, messages: [message] });
  }

  const loadAll = async (flush: number, fromBytes: boolean): Promise<void> => {
    let pending: DecodedRecord[] = [];
    for (const [i, batch] of fetched.entries()) {
      const decode = fromBytes ? keyAndTime.get(batch.topic) : undefined;
      pending.push(
        ...(await decodeBatch(serde, batch.topic, 0, batch.messages, undefined, decode)).records,
      );
      if (pending.length < flush && i < fetched.length - 1) continue;
      for (const { binding, upserts } of planWrites(pending, bindings).plans) {
        if (!fromBytes) {
          // The rows as the PostgreSQL sink encodes them after coercing each value to its column.
          encoders.get(binding.table)?.(upserts.map((u) => u.row) as SinkRow[]);
          continue;
        }
        // One schema id per table here (the generator's): the sink splits runs of ids.
        const values = upserts.map((u) => u.record.raw.value as Buffer);
        const first = values[0];
        if (first === undefined) continue;
        const write = avroWriterOf(binding.table, binding.schema.columns, schemaId(first));
        copyBinaryBodyOf((w) => write?.(values, 0, values.length, w));
      }
      pending = [];
    }
  };

  const rows: Row[] = [];
  for (const [fromBytes, design] of [
    [false, 'decode whole, plan, encode'],
    [true, 'decode key and time, plan, write from bytes'],
  ] as const)
    for (const flush of FLUSHES) {
      await loadAll(flush, fromBytes); // warm-up
      const before = process.cpuUsage();
      const started = performance.now();
      await loadAll(flush, fromBytes);
      const wallMs = performance.now() - started;
      const cpu = process.cpuUsage(before);
      rows.push({
        measure: `${design}; flushes of ${flush.toLocaleString('en-US')} records`,
        ours: (wallMs * 1e6) / count,
        unit: 'ns/record',
        note: `CPU ${Math.round(((cpu.user + cpu.system) * 1000) / count)} ns/record, GC threads included`,
      });
    }
  report('sink-steps', rows, { count, fetchedBatch: FETCHED, flushes: FLUSHES });
}

runBench(main);
