export * from './processes';
export * from './tcp-proxy';
export * from './tls-proxy';
