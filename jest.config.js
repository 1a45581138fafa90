/** @type {import('jest').Config} */
const transform = {
  // Transpile only (type checking is `npm run typecheck`), which keeps the suite fast.
  '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }],
  // hyparquet and hyparquet-writer ship ES modules only; jest loads CommonJS, so they are transpiled
  // like our sources.
  '/node_modules/hyparquet(-writer)?/.+\\.js$': [
    'ts-jest',
    { isolatedModules: true, diagnostics: false, tsconfig: { allowJs: true } },
  ],
};
const common = {
  transform,
  transformIgnorePatterns: ['/node_modules/(?!hyparquet(-writer)?/)'],
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json', 'cjs'],
};

module.exports = {
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.cjs'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      // The validate function loads the report renderer from its Lambda layer; in unit tests, from source.
      moduleNameMapper: { '^@recomart/quality-report$': '<rootDir>/layers/quality/report.ts' },
      setupFiles: ['<rootDir>/test/helpers/unit-env.ts'],
      setupFilesAfterEnv: ['aws-sdk-client-mock-jest', '<rootDir>/test/helpers/timeouts.ts'],
    },
    {
      ...common,
      displayName: 'infra',
      testMatch: ['<rootDir>/test/infra/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/helpers/timeouts.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/helpers/integration-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/integration-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/helpers/timeouts.ts'],
    },
  ],
};
