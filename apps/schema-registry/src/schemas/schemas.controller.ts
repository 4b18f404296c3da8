import { Controller, Get, Param, Query } from '@nestjs/common';
import { RegistryError } from '../errors/registry.error';
import { pageOf, queryFlag, queryPage, queryText } from '../http/query-flags';
import {
  RegistryStore,
  type SchemaRecord,
  type SubjectVersionRef,
} from '../persistence/registry.store';
import { schemaTypeField } from './candidate-schema';
import { schemaIdOrThrow } from './schema-id';

/** One entry of `GET /schemas`, as Confluent's `Schema` (`schemaType` only when not AVRO). */
interface ListedSchema {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  readonly schemaType?: string;
  readonly schema: string;
}

/** Schemas by global id: what a deserializer asks for. */
@Controller('schemas')
export class SchemasController {
  constructor(private readonly store: RegistryStore) {}

  /**
   * `GET /schemas`: every version of the subjects whose name starts with `subjectPrefix`, by
   * subject then version; `deleted` adds soft-deleted ones, `latestOnly` keeps each subject's
   * latest; `offset` and `limit` page the result.
   */
  @Get()
  async list(
    @Query('subjectPrefix') prefix?: unknown,
    @Query('deleted') deleted?: string,
    @Query('latestOnly') latestOnly?: string,
    @Query('offset') offset?: unknown,
    @Query('limit') limit?: unknown,
  ): Promise<ListedSchema[]> {
    const page = queryPage(offset, limit);
    const rows = await this.store.versionsWithPrefix(queryText(prefix), queryFlag(deleted));
    const picked = queryFlag(latestOnly)
      ? rows.filter((row, i) => rows[i + 1]?.subject !== row.subject)
      : rows;
    return pageOf(picked, page).map((row) => ({
      subject: row.subject,
      version: row.version,
      id: row.schemaId,
      ...schemaTypeField(row.schemaType),
      schema: row.schemaText,
    }));
  }

  @Get('types')
  types(): string[] {
    return ['AVRO'];
  }

  @Get('ids/:id')
  async byId(@Param('id') rawId: string): Promise<{ schema: string; schemaType?: string }> {
    const schema = await this.find(rawId);
    return { schema: schema.schemaText, ...schemaTypeField(schema.schemaType) };
  }

  @Get('ids/:id/schema')
  async rawById(@Param('id') rawId: string): Promise<string> {
    return (await this.find(rawId)).schemaText;
  }

  @Get('ids/:id/versions')
  async versions(
    @Param('id') rawId: string,
    @Query('deleted') deleted?: string,
  ): Promise<SubjectVersionRef[]> {
    const schema = await this.find(rawId);
    return this.store.versionsOfSchema(schema.id, queryFlag(deleted));
  }

  @Get('ids/:id/subjects')
  async subjects(
    @Param('id') rawId: string,
    @Query('deleted') deleted?: string,
  ): Promise<string[]> {
    const schema = await this.find(rawId);
    const refs = await this.store.versionsOfSchema(schema.id, queryFlag(deleted));
    return [...new Set(refs.map((ref) => ref.subject))];
  }

  private async find(rawId: string): Promise<SchemaRecord> {
    const id = schemaIdOrThrow(rawId);
    const schema = await this.store.schemaById(id);
    if (!schema) throw RegistryError.schemaNotFound(id);
    return schema;
  }
}
