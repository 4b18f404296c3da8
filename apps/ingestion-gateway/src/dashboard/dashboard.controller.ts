import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Controller, Get, Header, Inject, Req } from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig } from '@platform/config';
import type { FastifyRequest } from 'fastify';
import { WriteKeyAuthService } from '../auth/write-key-auth.service';
import { DASHBOARD_PAGE } from './dashboard-page';
import type { PipelineStats } from './pipeline-stats';
import { StatsService } from './stats.service';

/** Chart.js's self-contained browser build, served beside the page (no CDN). */
const CHART_JS = readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.js'), 'utf8');

/**
 * `GET /dashboard`: a page that polls the public API (`/v1/stats`, `/v1/query`,
 * `/v1/contract`) with the write key given in its URL fragment (`#key=…`, never sent to the
 * server with the page request). `GET /v1/stats`: the figures behind it.
 */
@Controller()
export class DashboardController {
  private readonly page: string;

  constructor(
    @Inject(PLATFORM_CONFIG) config: PlatformConfig,
    private readonly auth: WriteKeyAuthService,
    private readonly stats: StatsService,
  ) {
    const title = `${config.domain}${config.namespace === '' ? '' : ` (${config.namespace})`}`;
    this.page = DASHBOARD_PAGE.replaceAll('{{title}}', escapeHtml(title));
  }

  @Get('v1/stats')
  async read(@Req() request: FastifyRequest): Promise<PipelineStats> {
    const key = await this.auth.authenticate(request);
    this.auth.limit(key, 1);
    return this.stats.read();
  }

  @Get('dashboard')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  dashboard(): string {
    return this.page;
  }

  @Get('dashboard/chart.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'max-age=3600')
  chartJs(): string {
    return CHART_JS;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
