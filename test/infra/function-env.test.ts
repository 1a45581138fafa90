import { Template } from 'aws-cdk-lib/assertions';
import type { z } from 'zod';
import { AlsTrainEnv } from '../../containers/als-train/env';
import { LakeAuditEnv } from '../../containers/lake-audit/env';
import { CheckInputsEnv } from '../../lambdas/check-inputs/env';
import { ClickstreamIngestEnv } from '../../lambdas/clickstream-ingest/env';
import { EvaluateModelEnv } from '../../lambdas/evaluate-model/env';
import { FeaturesBuildEnv } from '../../lambdas/features-build/env';
import { MasterIngestEnv } from '../../lambdas/master-ingest/env';
import { MetadataPullEnv } from '../../lambdas/metadata-pull/env';
import { PublishEnv } from '../../lambdas/publish/env';
import { RecommendApiEnv } from '../../lambdas/recommend-api/env';
import { RecordFailureEnv } from '../../lambdas/record-failure/env';
import { TransactionsIngestEnv } from '../../lambdas/transactions-ingest/env';
import { ValidateEnv } from '../../lambdas/validate/env';
import { type CfnTemplate, TemplateResolver } from '../../lib/local-cloud/template';
import { appWithoutBundling } from '../helpers/synth';

/** Variables the runtime or the stack adds to every function, outside any function's own schema. */
const RUNTIME = ['NODE_OPTIONS', 'ACCEPTED_YEARS', 'CODE_VERSION'];

const FUNCTIONS: [string, z.ZodObject][] = [
  ['BatchIngestionTransactionsFunction', TransactionsIngestEnv],
  ['BatchIngestionMasterFunction', MasterIngestEnv],
  ['ClickstreamIngestFunction', ClickstreamIngestEnv],
  ['ExternalMetadataPullFunction', MetadataPullEnv],
  ['FeaturesBuildFunction', FeaturesBuildEnv],
  ['QualityValidateFunction', ValidateEnv],
  ['TrainingPipelineCheckInputsFunction', CheckInputsEnv],
  ['TrainingPipelineRecordFailureFunction', RecordFailureEnv],
  ['TrainingPipelineEvaluateFunction', EvaluateModelEnv],
  ['TrainingPipelinePublishFunction', PublishEnv],
  ['RecommendationsApiFunction', RecommendApiEnv],
];

describe('function environments in the template', () => {
  const { stack } = appWithoutBundling({
    stage: 'dev',
    'recomart:config': { metadata: { baseUrl: 'https://x.test/' } },
  });
  const template = Template.fromStack(stack).toJSON() as CfnTemplate;
  const resolver = new TemplateResolver('RecoMart-dev', template);
  const only = (type: string, prefix: string) => {
    const found = resolver.resourcesOfType(type).filter(([id]) => id.startsWith(prefix) && !id.includes('ServiceRole'));
    expect(found).toHaveLength(1);
    return (found[0] as [string, { Properties?: Record<string, unknown> }])[1];
  };

  it.each(FUNCTIONS)('%s gets exactly the variables of its schema', (prefix, schema) => {
    const fn = only('AWS::Lambda::Function', prefix);
    const vars = Object.keys((fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables);
    expect(vars.filter((v) => !RUNTIME.includes(v)).sort()).toEqual(
      Object.keys(schema.shape)
        .filter((v) => !RUNTIME.includes(v))
        .sort(),
    );
  });

  it.each([
    ['TrainingPipelineAuditTask', LakeAuditEnv],
    ['TrainingPipelineTrainTask', AlsTrainEnv],
  ] as [string, z.ZodObject][])('%s gets the rest of its schema per run from the state machine', (prefix, schema) => {
    const task = only('AWS::ECS::TaskDefinition', prefix);
    const defs = task.Properties?.ContainerDefinitions as { Name: string; Environment?: { Name: string }[] }[];
    const fromTask = (defs[0]?.Environment ?? []).map((e) => e.Name);
    const machine = resolver
      .resourcesOfType('AWS::StepFunctions::StateMachine')
      .find(([id]) => id.startsWith('TrainingPipeline'))?.[1];
    const definition = JSON.stringify(resolver.resolve(machine?.Properties?.DefinitionString));
    const required = Object.entries(schema.shape)
      .filter(([, type]) => !(type as z.ZodType).safeParse(undefined).success)
      .map(([name]) => name);
    for (const name of required)
      expect([name, fromTask.includes(name) || definition.includes(`\\"Name\\":\\"${name}\\"`)]).toEqual([name, true]);
    for (const name of fromTask) expect([...Object.keys(schema.shape), 'CODE_VERSION']).toContain(name);
  });
});
