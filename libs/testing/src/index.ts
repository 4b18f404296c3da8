export * from './processes';
export * from './tcp-proxy';
