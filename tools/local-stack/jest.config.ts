import type { Config } from 'jest';

// Unit specs of tools/local-stack: pure helpers only (config rendering, parsing), no servers.
const config: Config = {
  displayName: 'local-stack',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};

export default config;
