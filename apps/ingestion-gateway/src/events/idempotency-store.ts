import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';

/**
 * Which event ids were produced within the idempotency window, shared by every gateway
 * instance through PostgreSQL (`<schema>.idempotency_keys`), so that a repeat is not
 * produced twice wherever the load balancer sends it.
 *
 * A request claims its ids before producing (an owner id and a lease), marks them acked
 * after Kafka's acks (the window starts then) or releases them when the produce failed.
 * An id another request holds is `pending`: the caller waits for it to be acked or
 * released. A lease that ran out (its instance died mid-produce) can be claimed again.
 */
/**
 * The stored id of an event: a hash of its type and client event_id, so that any string a
 * client sends (NUL bytes, 8 KiB) makes a short, valid key.
 */
export function idempotencyKey(eventType: string, eventId: string): string {
  return createHash('sha256')
    .update(eventType)
    .update('\u0000')
    .update(eventId)
    .digest('base64url');
}

export type ClaimState = 'claimed' | 'acked' | 'pending';

export interface IdempotencyStoreOptions {
  /** How long an acked id is remembered. */
  readonly windowMs: number;
  /** How long a claim holds without being acked or released. */
  readonly leaseMs: number;
}

export class IdempotencyStore {
  constructor(
    private readonly db: Pick<DataSource, 'query'>,
    private readonly schema: string,
    private readonly options: IdempotencyStoreOptions,
  ) {}

  private get table(): string {
    return `"${this.schema}".idempotency_keys`;
  }

  /** Claims for `owner` each id that is neither acked within the window nor held by a live claim. */
  async claim(ids: readonly string[], owner: string): Promise<Map<string, ClaimState>> {
    // Sorted: concurrent claims of overlapping sets lock their rows in one order (no deadlock).
    const unique = [...new Set(ids)].sort();
    const out = new Map<string, ClaimState>(unique.map((id) => [id, 'pending']));
    if (unique.length === 0) return out;
    // One statement: the claims, then the state of the ids that were not claimed. An id a
    // concurrent request inserted is in neither (this statement's snapshot predates it):
    // it stays `pending`.
    const rows = (await this.db.query(
      `WITH claimed AS (
         INSERT INTO ${this.table} AS i (id, owner, acked, until)
         SELECT id, $2::uuid, false, clock_timestamp() + make_interval(secs => $3::float8 / 1000)
         FROM unnest($1::text[]) AS id
         ON CONFLICT (id) DO UPDATE
           SET owner = EXCLUDED.owner, acked = false, until = EXCLUDED.until
           WHERE i.until < clock_timestamp()
         RETURNING id)
       SELECT id, 'claimed' AS state FROM claimed
       UNION ALL
       SELECT id, CASE WHEN acked THEN 'acked' ELSE 'pending' END FROM ${this.table}
       WHERE id = ANY($1::text[]) AND id NOT IN (SELECT id FROM claimed)`,
      [unique, owner, this.options.leaseMs],
    )) as { id: string; state: ClaimState }[];
    for (const row of rows) out.set(row.id, row.state);
    return out;
  }

  /** `owner`'s ids were acknowledged by Kafka: repeats are duplicates for the window from now. */
  async ack(ids: readonly string[], owner: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(
      `UPDATE ${this.table}
       SET acked = true, until = clock_timestamp() + make_interval(secs => $3::float8 / 1000)
       WHERE id = ANY($1::text[]) AND owner = $2::uuid`,
      [[...ids], owner, this.options.windowMs],
    );
  }

  /** `owner`'s produce of these ids failed: a retry may claim them at once. */
  async release(ids: readonly string[], owner: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(
      `DELETE FROM ${this.table} WHERE id = ANY($1::text[]) AND owner = $2::uuid AND NOT acked`,
      [[...ids], owner],
    );
  }

  /** Deletes ids whose window (or lease) ended; returns how many. */
  async sweep(): Promise<number> {
    const result = (await this.db.query(
      `WITH gone AS (DELETE FROM ${this.table} WHERE until < clock_timestamp() RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
    )) as { n: number }[];
    return result[0]?.n ?? 0;
  }
}
