/** Jest in ESM mode through ts-jest (middy 7 is ESM-only). Type checking is its own test. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  // Generous: the suite runs on 2 shared cores, and a busy machine must not turn slow into failed.
  testTimeout: 120000,
  maxWorkers: 2,
};
