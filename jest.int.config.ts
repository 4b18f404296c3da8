import type { Config } from 'jest';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const preset = require('./jest.preset.js');

// Integration tests (*.int-spec.ts) against the real Kafka, ClickHouse and PostgreSQL
// started by tools/local-stack. They share servers, so they run one file at a time.
const config: Config = {
  ...preset,
  rootDir: '.',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools'],
  testMatch: ['**/*.int-spec.ts'],
  globalSetup: '<rootDir>/tools/local-stack/src/jest-global-setup.ts',
  maxWorkers: 1,
  testTimeout: 120_000,
};

export default config;
