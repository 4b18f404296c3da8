import { Injectable } from '@nestjs/common';
import { PlatformMetrics } from '@platform/observability';
import type { Counter } from 'prom-client';

/** The gateway's own metrics, beside the platform's produce_* ones. */
@Injectable()
export class GatewayMetrics {
  readonly accepted: Counter<'event_type'>;
  readonly rejected: Counter<'event_type' | 'reason'>;
  readonly duplicates: Counter<'event_type'>;
  readonly badRows: Counter<'outcome'>;
  readonly processed: Counter<'event_type' | 'processor' | 'outcome'>;
  readonly delivered: Counter<'subscription'>;
  readonly shed: Counter;

  constructor(readonly platform: PlatformMetrics) {
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
    this.processed = platform.counter({
      name: 'gateway_events_stopped_by_processor_total',
      help: 'Events a processor dropped or dead-lettered, by event type, processor and outcome',
      labelNames: ['event_type', 'processor', 'outcome'],
    });
    this.delivered = platform.counter({
      name: 'gateway_subscription_deliveries_total',
      help: 'Events delivered to subscription topics',
      labelNames: ['subscription'],
    });
    this.shed = platform.counter({
      name: 'gateway_requests_shed_total',
      help: 'Requests refused with 503 OVERLOADED (nothing of them produced), by reason: in_flight, in_flight_bytes, event_loop_delay',
      labelNames: ['reason'],
    });
  }
}
