import type { Config } from 'jest';

// The shared preset (ts-jest, @platform/* aliases) is referenced by path, as Jest resolves it.
const config: Config = {
  displayName: 'config',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};

export default config;
