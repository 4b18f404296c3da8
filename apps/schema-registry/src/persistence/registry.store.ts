import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isCompatibilityLevel, type CompatibilityLevel } from '@platform/schema-registry';
import { DataSource, EntityManager, In, IsNull } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { RegistryError } from '../errors/registry.error';
import { DEFAULT_DB_SCHEMA, qualified } from './db-schema';
import { CompatibilityConfigEntity, SchemaEntity, SubjectVersionEntity } from './entities';

/** The level of a subject with no config of its own when no global level is stored either. */
export const DEFAULT_COMPATIBILITY_LEVEL: CompatibilityLevel = 'BACKWARD';

/** One row of a subject's history, with the schema it names. */
export interface VersionRecord {
  readonly subject: string;
  readonly version: number;
  readonly schemaId: number;
  readonly deleted: boolean;
  readonly schemaText: string;
  readonly fingerprint: string;
}

export interface SchemaRecord {
  readonly id: number;
  readonly schemaText: string;
  readonly schemaType: string;
}

/** Which subjects a listing names (`GET /subjects`, `?deleted`, `?deletedOnly`). */
export type SubjectFilter = 'live' | 'all' | 'deletedOnly';

/** A subject named with `:prefix` first (text, not a LIKE pattern). */
const SUBJECT_STARTS_WITH = 'left(sv.subject, char_length(:prefix)) = :prefix';

/** How many schemas by id one instance keeps in memory (a few KiB each). */
const SCHEMA_CACHE_SIZE = 10_000;

export interface SubjectVersionRef {
  readonly subject: string;
  readonly version: number;
}

export interface NewSchema {
  readonly schemaText: string;
  readonly canonical: string;
  readonly fingerprint: string;
}

/** Every failure of the database is a 50001; registry errors thrown by the caller pass through. */
async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof RegistryError) throw err;
    throw RegistryError.store(err);
  }
}

function toLevel(level: string | undefined): CompatibilityLevel | null {
  return level !== undefined && isCompatibilityLevel(level) ? level : null;
}

/** A subject-version row, its schema loaded, as a record. */
function versionRecordOf(row: SubjectVersionEntity): VersionRecord & { schemaType: string } {
  return {
    subject: row.subject,
    version: row.version,
    schemaId: row.schemaId,
    deleted: row.deleted,
    schemaText: row.schema?.schemaText ?? '',
    fingerprint: row.schema?.fingerprint ?? '',
    schemaType: row.schema?.schemaType ?? 'AVRO',
  };
}

/** Reads and writes that need no lock, bound to one entity manager (the pool's or a transaction's). */
class Queries {
  constructor(
    protected readonly manager: EntityManager,
    protected readonly schema: string,
  ) {}

  /** Every row of the subject, soft-deleted ones included, oldest first. */
  async versions(subject: string): Promise<VersionRecord[]> {
    const rows = await this.manager
      .getRepository(SubjectVersionEntity)
      .find({ where: { subject }, relations: { schema: true }, order: { version: 'ASC' } });
    return rows.map(versionRecordOf);
  }

  /** The subject's own level, or the global one with `subject` null. */
  async configuredLevel(subject: string | null): Promise<CompatibilityLevel | null> {
    const row = await this.manager
      .getRepository(CompatibilityConfigEntity)
      .findOneBy({ subject: subject === null ? IsNull() : subject });
    return toLevel(row?.level);
  }

  /** Subject level, else global level, else {@link DEFAULT_COMPATIBILITY_LEVEL}. */
  async effectiveLevel(subject: string): Promise<CompatibilityLevel> {
    return (
      (await this.configuredLevel(subject)) ??
      (await this.configuredLevel(null)) ??
      DEFAULT_COMPATIBILITY_LEVEL
    );
  }
}

/** What a registration or a delete may do while it holds its subject's lock. */
export class SubjectTransaction extends Queries {
  /**
   * The id of this schema, inserting it if it is new. ON CONFLICT makes a concurrent insert
   * of the same schema under another subject wait for ours and then find our row.
   */
  async schemaId(schema: NewSchema): Promise<number> {
    const inserted: { id: number }[] = await this.manager.query(
      `INSERT INTO ${qualified(this.schema, 'schemas')} (canonical, fingerprint, schema_text, schema_type)
       VALUES ($1, $2, $3, 'AVRO')
       ON CONFLICT (fingerprint) DO NOTHING
       RETURNING id`,
      [schema.canonical, schema.fingerprint, schema.schemaText],
    );
    const [row] = inserted;
    if (row) return Number(row.id);
    const existing: { id: number }[] = await this.manager.query(
      `SELECT id FROM ${qualified(this.schema, 'schemas')} WHERE fingerprint = $1`,
      [schema.fingerprint],
    );
    const [found] = existing;
    if (!found)
      throw new Error(`schema with fingerprint ${schema.fingerprint} vanished after ON CONFLICT`);
    return Number(found.id);
  }

  async insertVersion(subject: string, version: number, schemaId: number): Promise<void> {
    await this.manager
      .getRepository(SubjectVersionEntity)
      .insert({ subject, version, schemaId, deleted: false });
  }

  async softDelete(subject: string, versions: readonly number[]): Promise<void> {
    if (versions.length === 0) return;
    await this.manager
      .getRepository(SubjectVersionEntity)
      .update({ subject, version: In([...versions]) }, { deleted: true });
  }

  async hardDelete(subject: string, versions: readonly number[]): Promise<void> {
    if (versions.length === 0) return;
    await this.manager
      .getRepository(SubjectVersionEntity)
      .delete({ subject, version: In([...versions]) });
  }

  async deleteConfig(subject: string): Promise<void> {
    await this.manager.getRepository(CompatibilityConfigEntity).delete({ subject });
  }
}

/**
 * The registry's PostgreSQL store. Schema ids are identity values of `schemas`, so they are
 * global and stable across restarts and instances; version numbers are assigned under a
 * per-subject advisory lock held for the whole transaction.
 */
@Injectable()
export class RegistryStore {
  private readonly schema: string;
  private readonly queries: Queries;
  /**
   * Schemas by id. A `schemas` row is never updated or deleted (deletes remove subject
   * versions only), so a cached entry cannot go stale, on this instance or any other.
   */
  private readonly schemasById = new Map<number, SchemaRecord>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.schema = (dataSource.options as PostgresConnectionOptions).schema ?? DEFAULT_DB_SCHEMA;
    this.queries = new Queries(dataSource.manager, this.schema);
  }

  /** The PostgreSQL schema the tables live in. */
  get dbSchema(): string {
    return this.schema;
  }

  /**
   * Runs `work` in a transaction that holds the subject's advisory lock: registrations and
   * deletes of one subject run one at a time, on every instance, and see each other's commits.
   * Anything `work` throws rolls the transaction back.
   */
  inSubjectTransaction<T>(
    subject: string,
    work: (tx: SubjectTransaction) => Promise<T>,
  ): Promise<T> {
    return guarded(() =>
      this.dataSource.transaction(async (manager) => {
        // Keyed by the PG schema too, so registries sharing a database do not wait on each other.
        await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
          `${this.schema}/${subject}`,
        ]);
        return work(new SubjectTransaction(manager, this.schema));
      }),
    );
  }

  versions(subject: string): Promise<VersionRecord[]> {
    return guarded(() => this.queries.versions(subject));
  }

  /**
   * Subjects whose name starts with `prefix`, sorted: those with a live version (`live`), with
   * any version (`all`), or whose every version is soft-deleted (`deletedOnly`).
   */
  listSubjects(filter: SubjectFilter, prefix = ''): Promise<string[]> {
    return guarded(async () => {
      const query = this.dataSource
        .getRepository(SubjectVersionEntity)
        .createQueryBuilder('sv')
        .select('sv.subject', 'subject')
        .where(SUBJECT_STARTS_WITH, { prefix })
        .groupBy('sv.subject')
        .orderBy('sv.subject', 'ASC');
      if (filter === 'live') query.having('bool_or(NOT sv.deleted)');
      if (filter === 'deletedOnly') query.having('bool_and(sv.deleted)');
      const rows = await query.getRawMany<{ subject: string }>();
      return rows.map((row) => row.subject);
    });
  }

  /**
   * The versions of every subject whose name starts with `prefix`, by subject then version,
   * soft-deleted ones with `includeDeleted`, each with its schema.
   */
  versionsWithPrefix(
    prefix: string,
    includeDeleted: boolean,
  ): Promise<(VersionRecord & { schemaType: string })[]> {
    return guarded(async () => {
      const query = this.dataSource
        .getRepository(SubjectVersionEntity)
        .createQueryBuilder('sv')
        .innerJoinAndSelect('sv.schema', 's')
        .where(SUBJECT_STARTS_WITH, { prefix })
        .orderBy('sv.subject', 'ASC')
        .addOrderBy('sv.version', 'ASC');
      if (!includeDeleted) query.andWhere('sv.deleted = false');
      return (await query.getMany()).map(versionRecordOf);
    });
  }

  schemaById(id: number): Promise<SchemaRecord | null> {
    const cached = this.schemasById.get(id);
    if (cached !== undefined) return Promise.resolve(cached);
    return guarded(async () => {
      const row = await this.dataSource.getRepository(SchemaEntity).findOneBy({ id });
      if (row === null) return null;
      const schema = { id: row.id, schemaText: row.schemaText, schemaType: row.schemaType };
      if (this.schemasById.size >= SCHEMA_CACHE_SIZE) {
        // Oldest insertion first out: enough for a working set of a few thousand subjects.
        this.schemasById.delete(this.schemasById.keys().next().value as number);
      }
      this.schemasById.set(id, schema);
      return schema;
    });
  }

  /** Where a schema id is used, by subject then version. */
  versionsOfSchema(schemaId: number, includeDeleted: boolean): Promise<SubjectVersionRef[]> {
    return guarded(async () => {
      const rows = await this.dataSource.getRepository(SubjectVersionEntity).find({
        where: includeDeleted ? { schemaId } : { schemaId, deleted: false },
        order: { subject: 'ASC', version: 'ASC' },
      });
      return rows.map((row) => ({ subject: row.subject, version: row.version }));
    });
  }

  configuredLevel(subject: string | null): Promise<CompatibilityLevel | null> {
    return guarded(() => this.queries.configuredLevel(subject));
  }

  effectiveLevel(subject: string): Promise<CompatibilityLevel> {
    return guarded(() => this.queries.effectiveLevel(subject));
  }

  /** Sets the subject's level, or the global one with `subject` null. */
  setLevel(subject: string | null, level: CompatibilityLevel): Promise<void> {
    return guarded(async () => {
      await this.dataSource.query(
        `INSERT INTO ${qualified(this.schema, 'compatibility_config')} (subject, level) VALUES ($1, $2)
         ON CONFLICT (subject) DO UPDATE SET level = EXCLUDED.level, updated_at = now()`,
        [subject, level],
      );
    });
  }

  /** Removes the subject's (or with null, the global) level; the level it had, or null if none. */
  deleteLevel(subject: string | null): Promise<CompatibilityLevel | null> {
    return guarded(async () => {
      // Wrapped in a SELECT: TypeORM answers a bare DELETE with [rows, count], not rows.
      const deleted: { level: string }[] = await this.dataSource.query(
        `WITH deleted AS (
           DELETE FROM ${qualified(this.schema, 'compatibility_config')}
           WHERE subject IS NOT DISTINCT FROM $1::text RETURNING level
         ) SELECT level FROM deleted`,
        [subject],
      );
      return toLevel(deleted[0]?.level);
    });
  }

  /** `SELECT 1`; throws when PostgreSQL does not answer. */
  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}
