import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';

/**
 * Write keys: one per source, 256 random bits, shown once at creation and stored only as a
 * SHA-256 hash. A slow hash (scrypt) protects low-entropy passwords from brute force; a
 * 256-bit random key cannot be brute-forced, and a fast hash keeps the per-request lookup
 * cheap, as GitHub and Stripe do for API tokens.
 */
export const WRITE_KEY_PREFIX = 'gwk_';

export interface WriteKeyRecord {
  readonly id: string;
  readonly source: string;
  readonly keyPrefix: string;
  /** Null: every event type. */
  readonly eventTypes: readonly string[] | null;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

export interface CreatedWriteKey {
  readonly record: WriteKeyRecord;
  /** The secret; only available now. */
  readonly key: string;
}

export function hashWriteKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** What every issued key looks like: the prefix and 32 bytes in base64url. */
const WRITE_KEY_SHAPE = new RegExp(`^${WRITE_KEY_PREFIX}[A-Za-z0-9_-]{43}$`);

/** Whether `key` could be one this gateway issued: anything else is unknown without a lookup. */
export function isWriteKeyShaped(key: string): boolean {
  return WRITE_KEY_SHAPE.test(key);
}

export function generateWriteKey(): string {
  return `${WRITE_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** May this key write (or read) events of `eventType`? */
export function allows(record: WriteKeyRecord, eventType: string): boolean {
  return record.eventTypes === null || record.eventTypes.includes(eventType);
}

interface Row {
  id: string;
  source: string;
  key_prefix: string;
  event_types: string[] | null;
  created_at: Date;
  revoked_at: Date | null;
}

const toRecord = (row: Row): WriteKeyRecord => ({
  id: row.id,
  source: row.source,
  keyPrefix: row.key_prefix,
  eventTypes: row.event_types,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

const COLUMNS = 'id, source, key_prefix, event_types, created_at, revoked_at';

/** Write keys in PostgreSQL (`<schema>.write_keys`). */
export class WriteKeyStore {
  constructor(
    private readonly db: DataSource,
    private readonly schema: string,
  ) {}

  private get table(): string {
    return `"${this.schema}".write_keys`;
  }

  async create(source: string, eventTypes: readonly string[] | null): Promise<CreatedWriteKey> {
    const key = generateWriteKey();
    const rows = (await this.db.query(
      `INSERT INTO ${this.table} (id, source, key_hash, key_prefix, event_types)
       VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [
        randomUUID(),
        source,
        hashWriteKey(key),
        key.slice(0, WRITE_KEY_PREFIX.length + 6),
        eventTypes === null ? null : [...eventTypes],
      ],
    )) as Row[];
    return { record: toRecord(rows[0] as Row), key };
  }

  async findByKey(key: string): Promise<WriteKeyRecord | undefined> {
    const rows = (await this.db.query(`SELECT ${COLUMNS} FROM ${this.table} WHERE key_hash = $1`, [
      hashWriteKey(key),
    ])) as Row[];
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  async list(): Promise<WriteKeyRecord[]> {
    const rows = (await this.db.query(
      `SELECT ${COLUMNS} FROM ${this.table} ORDER BY created_at, id`,
    )) as Row[];
    return rows.map(toRecord);
  }

  /** Revokes by id (or key prefix); returns the revoked records. */
  async revoke(idOrPrefix: string): Promise<WriteKeyRecord[]> {
    const rows = (await this.db.query(
      `UPDATE ${this.table} SET revoked_at = now()
       WHERE revoked_at IS NULL AND (id::text = $1 OR key_prefix = $1) RETURNING ${COLUMNS}`,
      [idOrPrefix],
    )) as [Row[], number] | Row[];
    // TypeORM returns [rows, count] for UPDATE ... RETURNING on PostgreSQL.
    const list = Array.isArray(rows[0]) ? (rows[0] as Row[]) : (rows as Row[]);
    return list.map(toRecord);
  }
}
