import { Injectable, Logger } from '@nestjs/common';
import { checkAgainst, versionsToCheck } from '../compatibility/compatibility-check';
import { RegistryError } from '../errors/registry.error';
import { pageOf, type Page } from '../http/query-flags';
import {
  RegistryStore,
  type SubjectFilter,
  type VersionRecord,
} from '../persistence/registry.store';
import { candidateSchema } from '../schemas/candidate-schema';
import type { VersionId } from './version-id';

/** `GET /subjects/{s}/versions/{v}` and the lookup answer. */
export interface SubjectVersionResponse {
  readonly subject: string;
  readonly id: number;
  readonly version: number;
  readonly schema: string;
}

export interface RegistrationResult {
  readonly id: number;
  readonly version: number;
  /** False when the schema was already a live version of the subject. */
  readonly created: boolean;
}

const live = (rows: readonly VersionRecord[]): VersionRecord[] =>
  rows.filter((row) => !row.deleted);

const toResponse = (row: VersionRecord): SubjectVersionResponse => ({
  subject: row.subject,
  id: row.schemaId,
  version: row.version,
  schema: row.schemaText,
});

@Injectable()
export class SubjectsService {
  private readonly logger = new Logger(SubjectsService.name);

  constructor(private readonly store: RegistryStore) {}

  async listSubjects(filter: SubjectFilter, prefix: string, page: Page): Promise<string[]> {
    return pageOf(await this.store.listSubjects(filter, prefix), page);
  }

  /** The subject's live versions; all of them with `includeDeleted`; the deleted ones alone with `deletedOnly`. */
  async listVersions(subject: string, filter: SubjectFilter): Promise<number[]> {
    const rows = await this.store.versions(subject);
    const visible =
      filter === 'all' ? rows : filter === 'live' ? live(rows) : rows.filter((row) => row.deleted);
    // The subject exists while it has a live version, or any version once deleted ones are asked for.
    if ((filter === 'live' ? visible : rows).length === 0)
      throw RegistryError.subjectNotFound(subject);
    return visible.map((row) => row.version);
  }

  async getVersion(
    subject: string,
    versionId: VersionId,
    includeDeleted: boolean,
  ): Promise<SubjectVersionResponse> {
    const rows = await this.store.versions(subject);
    const visible = includeDeleted ? rows : live(rows);
    if (visible.length === 0) throw RegistryError.subjectNotFound(subject);
    const row =
      versionId === 'latest' ? visible.at(-1) : visible.find((r) => r.version === versionId);
    if (!row) throw RegistryError.versionNotFound(versionId);
    return toResponse(row);
  }

  /**
   * Registers a schema under a subject. The same schema again (compared by parsed canonical
   * form, however it is written) is a no-op returning its id;
   * otherwise it must pass the subject's compatibility level against the live versions, or
   * nothing is stored. The subject's lock makes version numbers gapless and unique.
   */
  async register(
    subject: string,
    schemaText: string,
    normalize = false,
  ): Promise<RegistrationResult> {
    const parsed = candidateSchema(schemaText);
    // `normalize=true` stores (and later answers) the canonical text of a new schema.
    const candidate = normalize ? { ...parsed, schemaText: parsed.canonical } : parsed;
    const result = await this.store.inSubjectTransaction(subject, async (tx) => {
      const rows = await tx.versions(subject);
      const liveRows = live(rows);
      const existing = liveRows.find((row) => row.fingerprint === candidate.fingerprint);
      if (existing) return { id: existing.schemaId, version: existing.version, created: false };

      const level = await tx.effectiveLevel(subject);
      const check = checkAgainst(schemaText, versionsToCheck(liveRows, level), level);
      if (!check.compatible) throw RegistryError.incompatible(subject, check.messages);

      const id = await tx.schemaId(candidate);
      const version = (rows.at(-1)?.version ?? 0) + 1;
      await tx.insertVersion(subject, version, id);
      return { id, version, created: true };
    });
    if (result.created) {
      this.logger.log({
        event: 'schema_registered',
        subject,
        id: result.id,
        version: result.version,
      });
    }
    return result;
  }

  /** Is this schema a version of the subject? 40401 if the subject has none, 40403 if not. */
  async lookup(
    subject: string,
    schemaText: string,
    includeDeleted: boolean,
  ): Promise<SubjectVersionResponse> {
    const candidate = candidateSchema(schemaText);
    const rows = await this.store.versions(subject);
    const visible = includeDeleted ? rows : live(rows);
    if (visible.length === 0) throw RegistryError.subjectNotFound(subject);
    const matches = visible.filter((row) => row.fingerprint === candidate.fingerprint);
    const match = matches.at(-1);
    if (!match) throw RegistryError.schemaNotFound();
    return toResponse(match);
  }

  /**
   * Soft delete marks every live version deleted; permanent delete (only after a soft one,
   * as Confluent requires) removes the rows and the subject's own config. Schema ids stay.
   */
  async deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    const deleted = await this.store.inSubjectTransaction(subject, async (tx) => {
      const rows = await tx.versions(subject);
      if (rows.length === 0) throw RegistryError.subjectNotFound(subject);
      const liveVersions = live(rows).map((row) => row.version);
      if (!permanent) {
        if (liveVersions.length === 0) throw RegistryError.subjectSoftDeleted(subject);
        await tx.softDelete(subject, liveVersions);
        return liveVersions;
      }
      if (liveVersions.length > 0) throw RegistryError.subjectNotSoftDeleted(subject);
      const all = rows.map((row) => row.version);
      await tx.hardDelete(subject, all);
      await tx.deleteConfig(subject);
      return all;
    });
    this.logger.log({
      event: permanent ? 'subject_deleted_permanently' : 'subject_deleted',
      subject,
      versions: deleted,
    });
    return deleted;
  }

  /** Deletes one version, soft or (after a soft delete) permanent; the version number. */
  async deleteVersion(subject: string, versionId: VersionId, permanent: boolean): Promise<number> {
    const version = await this.store.inSubjectTransaction(subject, async (tx) => {
      const rows = await tx.versions(subject);
      if (rows.length === 0) throw RegistryError.subjectNotFound(subject);
      const row =
        versionId === 'latest'
          ? (permanent ? rows : live(rows)).at(-1)
          : rows.find((r) => r.version === versionId);
      if (!row) throw RegistryError.versionNotFound(versionId);
      if (!permanent) {
        if (row.deleted) throw RegistryError.versionSoftDeleted(subject, row.version);
        await tx.softDelete(subject, [row.version]);
      } else {
        if (!row.deleted) throw RegistryError.versionNotSoftDeleted(subject, row.version);
        await tx.hardDelete(subject, [row.version]);
      }
      return row.version;
    });
    this.logger.log({
      event: permanent ? 'version_deleted_permanently' : 'version_deleted',
      subject,
      version,
    });
    return version;
  }
}
