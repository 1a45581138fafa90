import { resolveStageConfig } from '../../lib/config';

describe('resolveStageConfig', () => {
  it('defaults to the dev stage', () => {
    expect(resolveStageConfig(undefined).stage).toBe('dev');
  });

  it('deep-merges overrides given as JSON text (as CDK context arrives)', () => {
    const config = resolveStageConfig('prod', '{"clickstream":{"batchSize":42}}');
    expect(config.clickstream.batchSize).toBe(42);
    expect(config.clickstream.maxRecordAgeSeconds).toBe(86_400);
  });

  it('rejects an unknown stage with one clear sentence', () => {
    expect(() => resolveStageConfig('qa')).toThrow('Unknown stage "qa": use -c stage=dev or -c stage=prod.');
  });

  it('names the field of an invalid override', () => {
    expect(() => resolveStageConfig('dev', { lake: { transactionsPrefix: 'no-slash' } })).toThrow(
      /lake\.transactionsPrefix/,
    );
  });
});
