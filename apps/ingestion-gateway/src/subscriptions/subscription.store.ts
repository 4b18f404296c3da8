import type { DataSource } from 'typeorm';
import type { SubscriptionFilter } from './subscription-request';

export interface SubscriptionRecord {
  readonly id: string;
  readonly topic: string;
  readonly eventTypes: readonly string[];
  readonly filters: readonly SubscriptionFilter[];
  readonly source: string | null;
  /** Epoch ms: events produced from then on are delivered. */
  readonly createdAtMs: number;
}

interface Row {
  id: string;
  topic: string;
  event_types: string[];
  filters: SubscriptionFilter[];
  source: string | null;
  created_ms: string | number;
}

const toRecord = (row: Row): SubscriptionRecord => ({
  id: row.id,
  topic: row.topic,
  eventTypes: row.event_types,
  filters: row.filters,
  source: row.source,
  createdAtMs: Number(row.created_ms),
});

const COLUMNS =
  'id, topic, event_types, filters, source, floor(extract(epoch from created_at) * 1000)::bigint AS created_ms';

/** Subscriptions in PostgreSQL (`<schema>.subscriptions`); deleting marks them ended. */
export class SubscriptionStore {
  constructor(
    private readonly db: DataSource,
    private readonly schema: string,
  ) {}

  private get table(): string {
    return `"${this.schema}".subscriptions`;
  }

  async create(
    id: string,
    topic: string,
    eventTypes: readonly string[],
    filters: readonly SubscriptionFilter[],
    source: string | null,
  ): Promise<SubscriptionRecord> {
    const rows = (await this.db.query(
      `INSERT INTO ${this.table} (id, topic, event_types, filters, source) VALUES ($1, $2, $3, $4::jsonb, $5) RETURNING ${COLUMNS}`,
      [id, topic, [...eventTypes], JSON.stringify(filters), source],
    )) as Row[];
    return toRecord(rows[0] as Row);
  }

  async get(id: string): Promise<SubscriptionRecord | undefined> {
    const rows = (await this.db.query(
      `SELECT ${COLUMNS} FROM ${this.table} WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    )) as Row[];
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  /** Active subscriptions and the database time they were read at (epoch ms). */
  async active(): Promise<{ readonly records: SubscriptionRecord[]; readonly asOfMs: number }> {
    const now = (await this.db.query(
      `SELECT floor(extract(epoch from clock_timestamp()) * 1000)::bigint AS now_ms`,
    )) as {
      now_ms: string;
    }[];
    const rows = (await this.db.query(
      `SELECT ${COLUMNS} FROM ${this.table} WHERE deleted_at IS NULL ORDER BY created_at`,
    )) as Row[];
    return { records: rows.map(toRecord), asOfMs: Number(now[0]?.now_ms ?? Date.now()) };
  }

  /** Ends a subscription; false when there was no active one. */
  async delete(id: string): Promise<boolean> {
    const result = (await this.db.query(
      `UPDATE ${this.table} SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id`,
      [id],
    )) as [unknown[], number] | unknown[];
    const rows = Array.isArray(result[0]) ? (result[0] as unknown[]) : result;
    return rows.length > 0;
  }
}
