import type { KafkaSettings } from '@platform/config';
import type { Kafka } from '@platform/messaging';

export const GATEWAY_SETTINGS = Symbol('GATEWAY_SETTINGS');
export const GATEWAY_KAFKA = Symbol('GATEWAY_KAFKA');
export const GATEWAY_DATABASE = Symbol('GATEWAY_DATABASE');

/** Builds the Kafka client (tests route it through a proxy). Default: `createKafka`. */
export type KafkaFactory = (settings: KafkaSettings, clientId: string) => Kafka;
