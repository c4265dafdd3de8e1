/** @type {import('jest').Config} */
const swc = { ...require('./test/support/swc-options'), sourceMaps: 'inline' };

module.exports = {
  rootDir: '.',
  testEnvironment: '<rootDir>/test/support/quiet-log-environment.js',
  moduleFileExtensions: ['ts', 'js', 'json'],
  testRegex: 'test/.*\\.(spec|e2e-spec)\\.ts$',
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  setupFiles: ['<rootDir>/test/support/setup-file.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
};
