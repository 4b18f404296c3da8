export * from './processes';
export * from './tcp-proxy';
export * from './pg-tls-proxy';
