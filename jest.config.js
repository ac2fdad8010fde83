/** Unit specs live beside the code; e2e specs boot the app over HTTP against real PostgreSQL. */
// Type-checking is `npm run typecheck`'s job; jest only transpiles.
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json', diagnostics: false }];

// Dependencies published only as ES modules (Node loads them natively; jest must transpile them).
const esmDeps = {
  transform: { '^.+/node_modules/(content-disposition)/.+\\.js$': tsJest },
  ignore: ['/node_modules/(?!(content-disposition)/)'],
};

module.exports = {
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/scripts/**/*.spec.ts'],
      transform: { '^.+\\.ts$': tsJest, ...esmDeps.transform },
      transformIgnorePatterns: esmDeps.ignore,
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      transform: { '^.+\\.ts$': tsJest, ...esmDeps.transform },
      transformIgnorePatterns: esmDeps.ignore,
    },
  ],
};
