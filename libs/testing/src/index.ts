export * from './processes';
export * from './tcp-proxy';
export * from './fake-kafka-consumer';
