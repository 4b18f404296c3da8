import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { queryFlag, queryPage, queryText } from '../http/query-flags';
import type { SubjectFilter } from '../persistence/registry.store';
import { parseSchemaRequest } from '../http/request-bodies';
import { SubjectsService, type SubjectVersionResponse } from './subjects.service';
import { versionIdOrThrow } from './version-id';

@Controller('subjects')
export class SubjectsController {
  constructor(private readonly subjects: SubjectsService) {}

  @Get()
  list(
    @Query('subjectPrefix') prefix?: unknown,
    @Query('deleted') deleted?: string,
    @Query('deletedOnly') deletedOnly?: string,
    @Query('offset') offset?: unknown,
    @Query('limit') limit?: unknown,
  ): Promise<string[]> {
    return this.subjects.listSubjects(
      subjectFilter(deleted, deletedOnly),
      queryText(prefix),
      queryPage(offset, limit),
    );
  }

  @Get(':subject/versions')
  versions(
    @Param('subject') subject: string,
    @Query('deleted') deleted?: string,
    @Query('deletedOnly') deletedOnly?: string,
  ): Promise<number[]> {
    return this.subjects.listVersions(subject, subjectFilter(deleted, deletedOnly));
  }

  @Post(':subject/versions')
  @HttpCode(200)
  async register(
    @Param('subject') subject: string,
    @Body() body: unknown,
    @Query('normalize') normalize?: string,
  ): Promise<{ id: number }> {
    const { schema } = parseSchemaRequest(body);
    const { id } = await this.subjects.register(subject, schema, queryFlag(normalize));
    return { id };
  }

  @Get(':subject/versions/:version')
  version(
    @Param('subject') subject: string,
    @Param('version') version: string,
    @Query('deleted') deleted?: string,
  ): Promise<SubjectVersionResponse> {
    return this.subjects.getVersion(subject, versionIdOrThrow(version), queryFlag(deleted));
  }

  /** The schema text alone, as registered. */
  @Get(':subject/versions/:version/schema')
  async rawSchema(
    @Param('subject') subject: string,
    @Param('version') version: string,
    @Query('deleted') deleted?: string,
  ): Promise<string> {
    return (await this.subjects.getVersion(subject, versionIdOrThrow(version), queryFlag(deleted)))
      .schema;
  }

  @Post(':subject')
  @HttpCode(200)
  lookup(
    @Param('subject') subject: string,
    @Body() body: unknown,
    @Query('deleted') deleted?: string,
  ): Promise<SubjectVersionResponse> {
    return this.subjects.lookup(subject, parseSchemaRequest(body).schema, queryFlag(deleted));
  }

  @Delete(':subject')
  deleteSubject(
    @Param('subject') subject: string,
    @Query('permanent') permanent?: string,
  ): Promise<number[]> {
    return this.subjects.deleteSubject(subject, queryFlag(permanent));
  }

  @Delete(':subject/versions/:version')
  deleteVersion(
    @Param('subject') subject: string,
    @Param('version') version: string,
    @Query('permanent') permanent?: string,
  ): Promise<number> {
    return this.subjects.deleteVersion(subject, versionIdOrThrow(version), queryFlag(permanent));
  }
}

/** `?deletedOnly=true` wins over `?deleted=true`, as in Confluent. */
function subjectFilter(deleted: unknown, deletedOnly: unknown): SubjectFilter {
  if (queryFlag(deletedOnly)) return 'deletedOnly';
  return queryFlag(deleted) ? 'all' : 'live';
}
