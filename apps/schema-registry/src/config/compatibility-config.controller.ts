import { Body, Controller, Delete, Get, Param, Put, Query } from '@nestjs/common';
import type { CompatibilityLevel } from '@platform/schema-registry';
import { queryFlag } from '../http/query-flags';
import { parseConfigRequest } from '../http/request-bodies';
import { CompatibilityConfigService } from './compatibility-config.service';

/** GET answers `{compatibilityLevel}`, PUT answers `{compatibility}`: Confluent's asymmetry, kept for its clients. */
interface LevelResponse {
  readonly compatibilityLevel: CompatibilityLevel;
}
interface UpdateResponse {
  readonly compatibility: CompatibilityLevel;
}

@Controller('config')
export class CompatibilityConfigController {
  constructor(private readonly config: CompatibilityConfigService) {}

  @Get()
  async getGlobal(): Promise<LevelResponse> {
    return { compatibilityLevel: await this.config.globalLevel() };
  }

  @Put()
  async putGlobal(@Body() body: unknown): Promise<UpdateResponse> {
    return { compatibility: await this.config.setGlobalLevel(parseConfigRequest(body)) };
  }

  @Delete()
  async deleteGlobal(): Promise<LevelResponse> {
    return { compatibilityLevel: await this.config.resetGlobalLevel() };
  }

  @Get(':subject')
  async getSubject(
    @Param('subject') subject: string,
    @Query('defaultToGlobal') defaultToGlobal?: string,
  ): Promise<LevelResponse> {
    return {
      compatibilityLevel: await this.config.subjectLevel(subject, queryFlag(defaultToGlobal)),
    };
  }

  @Put(':subject')
  async putSubject(
    @Param('subject') subject: string,
    @Body() body: unknown,
  ): Promise<UpdateResponse> {
    return { compatibility: await this.config.setSubjectLevel(subject, parseConfigRequest(body)) };
  }

  @Delete(':subject')
  async deleteSubject(@Param('subject') subject: string): Promise<LevelResponse> {
    return { compatibilityLevel: await this.config.deleteSubjectLevel(subject) };
  }
}
