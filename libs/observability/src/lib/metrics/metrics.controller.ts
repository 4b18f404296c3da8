import { Controller, Get, Header } from '@nestjs/common';
import { Registry } from 'prom-client';
import { PlatformMetrics } from './platform-metrics';

/** `GET /metrics`: the process registry in the Prometheus text format, for scraping. */
@Controller()
export class MetricsController {
  constructor(private readonly metrics: PlatformMetrics) {}

  @Get('metrics')
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  scrape(): Promise<string> {
    return this.metrics.metrics();
  }
}
