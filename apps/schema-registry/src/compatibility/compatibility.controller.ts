import { Body, Controller, HttpCode, Param, Post, Query } from '@nestjs/common';
import { queryFlag } from '../http/query-flags';
import { parseSchemaRequest } from '../http/request-bodies';
import { versionIdOrThrow } from '../subjects/version-id';
import { CompatibilityService, type CompatibilityResponse } from './compatibility.service';

@Controller('compatibility/subjects')
export class CompatibilityController {
  constructor(private readonly compatibility: CompatibilityService) {}

  @Post(':subject/versions/:version')
  @HttpCode(200)
  checkVersion(
    @Param('subject') subject: string,
    @Param('version') version: string,
    @Body() body: unknown,
    @Query('verbose') verbose?: string,
  ): Promise<CompatibilityResponse> {
    const versionId = versionIdOrThrow(version);
    return this.compatibility.checkVersion(
      subject,
      versionId,
      parseSchemaRequest(body).schema,
      queryFlag(verbose),
    );
  }

  @Post(':subject/versions')
  @HttpCode(200)
  checkSubject(
    @Param('subject') subject: string,
    @Body() body: unknown,
    @Query('verbose') verbose?: string,
  ): Promise<CompatibilityResponse> {
    return this.compatibility.checkSubject(
      subject,
      parseSchemaRequest(body).schema,
      queryFlag(verbose),
    );
  }
}
