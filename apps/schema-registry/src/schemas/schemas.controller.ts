import { Controller, Get, Param, Query } from '@nestjs/common';
import { RegistryError } from '../errors/registry.error';
import { queryFlag } from '../http/query-flags';
import {
  RegistryStore,
  type SchemaRecord,
  type SubjectVersionRef,
} from '../persistence/registry.store';
import { schemaTypeField } from './candidate-schema';
import { schemaIdOrThrow } from './schema-id';

/** Schemas by global id: what a deserializer asks for. */
@Controller('schemas')
export class SchemasController {
  constructor(private readonly store: RegistryStore) {}

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
