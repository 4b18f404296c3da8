import { Injectable } from '@nestjs/common';
import { PlatformMetrics } from '@platform/observability';
import type { Counter, Gauge, Histogram } from 'prom-client';

/** The gateway's own metrics, beside the platform's produce_* ones. */
@Injectable()
export class GatewayMetrics {
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly latency: Histogram<'method' | 'route'>;
  readonly inFlight: Gauge;
  readonly accepted: Counter<'event_type'>;
  readonly rejected: Counter<'event_type' | 'reason'>;
  readonly duplicates: Counter<'event_type'>;
  readonly badRows: Counter<'outcome'>;
  readonly delivered: Counter<'subscription'>;

  constructor(readonly platform: PlatformMetrics) {
    this.requests = platform.counter({
      name: 'http_requests_total',
      help: 'HTTP requests, by method, route and status',
      labelNames: ['method', 'route', 'status'],
    });
    this.latency = platform.histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency in seconds, by method and route',
      labelNames: ['method', 'route'],
    });
    this.inFlight = platform.gauge({
      name: 'http_requests_in_flight',
      help: 'HTTP requests received and not yet answered (what a drain waits for)',
    });
    this.accepted = platform.counter({
      name: 'gateway_events_accepted_total',
      help: 'Events acknowledged by Kafka, by event type',
      labelNames: ['event_type'],
    });
    this.rejected = platform.counter({
      name: 'gateway_events_rejected_total',
      help: 'Events refused (invalid, unknown type, not allowed), by event type and reason',
      labelNames: ['event_type', 'reason'],
    });
    this.duplicates = platform.counter({
      name: 'gateway_events_duplicate_total',
      help: 'Events acknowledged without producing: event_id seen within the idempotency window',
      labelNames: ['event_type'],
    });
    this.badRows = platform.counter({
      name: 'gateway_bad_rows_total',
      help: 'Bad rows written to the dead-letter topic, by outcome',
      labelNames: ['outcome'],
    });
    this.delivered = platform.counter({
      name: 'gateway_subscription_deliveries_total',
      help: 'Events delivered to subscription topics',
      labelNames: ['subscription'],
    });
  }
}
