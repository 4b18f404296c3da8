import type { Config } from 'jest';

// Integration tests (*.int-spec.ts) against the real Kafka, ClickHouse and PostgreSQL
// started by tools/local-stack. They share servers, so they run one file at a time.
const config: Config = {
  preset: './jest.preset.js',
  rootDir: '.',
  testMatch: ['<rootDir>/{apps,libs,tools,examples}/**/*.int-spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/.stack/', '/dist/'],
  globalSetup: '<rootDir>/tools/local-stack/src/jest-global-setup.ts',
  maxWorkers: 1,
  testTimeout: 120_000,
};

export default config;
