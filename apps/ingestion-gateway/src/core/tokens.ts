import type { KafkaSettings } from '@platform/config';
import type { KafkaClient } from '@platform/messaging';

export const GATEWAY_SETTINGS = Symbol('GATEWAY_SETTINGS');
export const GATEWAY_KAFKA = Symbol('GATEWAY_KAFKA');
export const GATEWAY_DATABASE = Symbol('GATEWAY_DATABASE');
/** The idempotency window's own connections (persistence/database.ts). */
export const GATEWAY_IDEMPOTENCY_CONNECTIONS = Symbol('GATEWAY_IDEMPOTENCY_CONNECTIONS');
/** The event types' processor chains, built from the domain's `processors` list. */
export const EVENT_PROCESSORS = Symbol('EVENT_PROCESSORS');

/** Builds the Kafka client (tests route it through a proxy). Default: `createKafka`. */
export type KafkaFactory = (settings: KafkaSettings, clientId: string) => KafkaClient;
