import { z } from 'zod';
import { FeaturesBuildEnv } from '../../../lambdas/features-build/env';
import { PublishEnv } from '../../../lambdas/publish/env';
import { readEnv } from '../../../layers/util/env';
import { envFor, envPart, overridesFor } from '../../../lib/constructs/function-env';

describe('function environments', () => {
  const publish = {
    MODEL_REGISTRY_TABLE: 'registry',
    RECOMMENDATIONS_TABLE: 'recs',
    TOP_N: '20',
    RECOMMENDATIONS_TTL_DAYS: '30',
    USERS_PER_SHARD: '500',
  };

  it('reads typed values', () => {
    expect(readEnv(PublishEnv, publish)).toMatchObject({
      TOP_N: 20,
      USERS_PER_SHARD: 500,
      MODEL_REGISTRY_TABLE: 'registry',
    });
  });

  it('names every missing or invalid variable in one error', () => {
    const { MODEL_REGISTRY_TABLE: _, ...missing } = publish;
    expect(() => readEnv(PublishEnv, { ...missing, TOP_N: 'twenty', USERS_PER_SHARD: '-1' })).toThrow(
      /MODEL_REGISTRY_TABLE is not set; TOP_N .* \(got "twenty"\); USERS_PER_SHARD .* \(got "-1"\)/,
    );
  });

  it('parses JSON documents against their schema', () => {
    const base = { LAKE_BUCKET: 'b', FEATURE_TABLE: 't', FEATURE_TTL_DAYS: '30' };
    expect(() => readEnv(FeaturesBuildEnv, { ...base, FEATURE_WEIGHTS: '{nope' })).toThrow(
      /FEATURE_WEIGHTS must be JSON/,
    );
    expect(() => readEnv(FeaturesBuildEnv, { ...base, FEATURE_WEIGHTS: '{"view":"x"}' })).toThrow(/FEATURE_WEIGHTS/);
  });

  it('is set by constructs from the same schema, checked at synth', () => {
    const env = envFor(PublishEnv, {
      MODEL_REGISTRY_TABLE: 'registry',
      RECOMMENDATIONS_TABLE: 'recs',
      TOP_N: 20,
      RECOMMENDATIONS_TTL_DAYS: 30,
      USERS_PER_SHARD: 500,
    });
    expect(env).toEqual(publish);
    expect(readEnv(PublishEnv, env).TOP_N).toBe(20);
    expect(() =>
      envFor(PublishEnv, { ...publish, TOP_N: 0, RECOMMENDATIONS_TTL_DAYS: 30, USERS_PER_SHARD: 500 }),
    ).toThrow(/TOP_N of the function is invalid/);
  });

  it('lets a task split its variables between its definition and per-run overrides', () => {
    const schema = z.object({ TABLE: z.string().min(1), RUN_ID: z.string().min(1) });
    expect(envPart(schema, { TABLE: 't' })).toEqual({ TABLE: 't' });
    expect(() => envPart(schema, { TABLE: '' })).toThrow(/TABLE of the task is invalid/);
    expect(overridesFor(schema, { RUN_ID: '$.runId' })).toEqual([{ name: 'RUN_ID', value: '$.runId' }]);
  });
});
