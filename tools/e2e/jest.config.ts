import type { Config } from 'jest';

// Unit specs of tools/e2e: the oracle (pure, no servers). The real-stack e2e runs elsewhere.
const config: Config = {
  displayName: 'e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};

export default config;
