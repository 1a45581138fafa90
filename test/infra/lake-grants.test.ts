import { Template } from 'aws-cdk-lib/assertions';
import { LAKE_PREFIXES, lakeKeys } from '../../layers/lake/keys';
import { manifestKeyFor } from '../../layers/lake/zones';
import { LocalIam } from '../../lib/local-cloud/iam';
import { type CfnTemplate, TemplateResolver } from '../../lib/local-cloud/template';
import { appWithoutBundling } from '../helpers/synth';

const DT = '2026-11-30';
const RUN = 'run-20261130T120000';
const lineage = (job: string) => lakeKeys.lineage(job, DT, 'r1');

/**
 * The keys each function's code writes and reads, made by the same builders (layers/lake/keys.ts), and
 * the role that runs it (by logical id prefix). The synthesized policies must allow exactly these.
 */
const ROLES: { role: string; writes: string[]; reads: string[] }[] = [
  {
    role: 'BatchIngestionTransactionsFunctionServiceRole',
    writes: [
      lakeKeys.rawTransactions(DT, 'export-v1'),
      manifestKeyFor(lakeKeys.rawTransactions(DT, 'export-v1')),
      lakeKeys.archived('transactions', DT, 'export-v1'),
      `${lakeKeys.quarantineDir('transactions', DT)}/export-v1.csv`,
      lineage('transactions-ingest'),
    ],
    reads: ['landing/transactions/export.csv', lakeKeys.archived('transactions', DT, 'export-v1')],
  },
  {
    role: 'BatchIngestionMasterFunctionServiceRole',
    writes: [
      lakeKeys.masterLatest('catalog'),
      lakeKeys.masterDated('customers', DT),
      lakeKeys.archived('master/catalog', DT, 'catalog-v1'),
      `${lakeKeys.quarantineDir('master/catalog', DT)}/catalog-v1.csv`,
      lineage('master-ingest'),
    ],
    reads: ['landing/master/catalog.csv'],
  },
  {
    role: 'ClickstreamIngestFunctionServiceRole',
    writes: [
      `${lakeKeys.rawClickstreamHour(DT, '07')}part-1.jsonl`,
      `${lakeKeys.quarantineClickstream(DT)}part-1.jsonl`,
      lineage('clickstream-ingest'),
    ],
    reads: [],
  },
  {
    role: 'ExternalMetadataPullFunctionServiceRole',
    writes: [lakeKeys.rawExternalMetadata(DT), lineage('metadata-pull')],
    reads: [],
  },
  {
    role: 'QualityValidateFunctionServiceRole',
    writes: [
      `${lakeKeys.qualityReportBase('transactions', `dt=${DT}`, 'ingested_x')}.pdf`,
      lakeKeys.qualityQuarantine('transactions', `dt=${DT}`, 'ingested_x'),
      lakeKeys.qualityStatus(lakeKeys.rawTransactions(DT, 'x')),
      lineage('validate'),
    ],
    reads: [lakeKeys.rawTransactions(DT, 'x'), lakeKeys.masterLatest('catalog')],
  },
  {
    role: 'FeaturesBuildFunctionServiceRole',
    writes: [
      lakeKeys.featureBuildPlan('v1'),
      lakeKeys.featureRegistry('interactions', 'v1'),
      lineage('features-build'),
      lakeKeys.curatedFile('clickstream', `dt=${DT}/hour=09`, 'x'),
      lineage('curate'),
    ],
    reads: [
      lakeKeys.rawTransactions(DT, 'x'),
      lakeKeys.qualityStatus(lakeKeys.rawTransactions(DT, 'x')),
      lakeKeys.featureBuildPlan('v1'),
      `${lakeKeys.featureVersionDir('user_features', 'v1')}q_data_00000.parquet`,
    ],
  },
  {
    // Athena runs the feature statements with the state machine's role.
    role: 'FeaturesStateMachineRole',
    writes: [
      `${lakeKeys.featureVersionDir('user_features', 'v1')}q_data_00000.parquet`,
      `${LAKE_PREFIXES.athenaResults}q.csv`,
    ],
    reads: [
      lakeKeys.curatedFile('transactions', `dt=${DT}`, 'x'),
      lakeKeys.curatedFile('clickstream', `dt=${DT}/hour=09`, 'x'),
      lakeKeys.masterDated('catalog', DT),
      lakeKeys.rawExternalMetadata(DT),
      lakeKeys.featureBuildSources('v1'),
      `${LAKE_PREFIXES.athenaResults}q.csv`,
    ],
  },
  {
    role: 'TrainingPipelineCheckInputsFunctionServiceRole',
    writes: [lakeKeys.pipelineBlocked(RUN)],
    reads: [lakeKeys.featureRegistry('interactions', 'v1'), lakeKeys.qualityStatus(lakeKeys.masterLatest('catalog'))],
  },
  {
    role: 'TrainingPipelineAuditTaskTaskRole',
    writes: [lakeKeys.audit(RUN)],
    reads: [lakeKeys.masterLatest('customers')],
  },
  {
    role: 'TrainingPipelineTrainTaskTaskRole',
    writes: [`${lakeKeys.modelPrefix(RUN)}model.json`, lineage('train')],
    reads: [`${lakeKeys.featureVersionDir('interactions', 'v1')}q_data_00000.parquet`],
  },
  {
    role: 'TrainingPipelinePublishFunctionServiceRole',
    writes: [lineage('publish')],
    reads: [
      `${lakeKeys.modelPrefix(RUN)}model.json`,
      `${lakeKeys.featureVersionDir('item_features', 'v1')}q_data_00000.parquet`,
    ],
  },
];

/** Keys each of which belongs to one owner: no other role may write it. */
const OWNED = [
  lakeKeys.rawTransactions(DT, 'x'),
  lakeKeys.masterLatest('catalog'),
  `${lakeKeys.modelPrefix(RUN)}model.json`,
  lakeKeys.qualityStatus(lakeKeys.rawTransactions(DT, 'x')),
  lakeKeys.featureRegistry('interactions', 'v1'),
  lakeKeys.featureBuildPlan('v1'),
  `${lakeKeys.featureVersionDir('interactions', 'v1')}q_data_00000.parquet`,
  lakeKeys.audit(RUN),
  `${LAKE_PREFIXES.rawClickstream}dt=${DT}/hour=07/part-1.jsonl`,
  lakeKeys.curatedFile('transactions', `dt=${DT}`, 'x'),
];

describe('lake grants follow the key contract', () => {
  const { stack } = appWithoutBundling({ stage: 'dev' });
  const template = Template.fromStack(stack).toJSON() as CfnTemplate;
  const resolver = new TemplateResolver('RecoMart-dev', template);
  const iam = new LocalIam(resolver);
  const [bucketId] = resolver.resourcesOfType('AWS::S3::Bucket').find(([id]) => id.startsWith('LakeBucket')) ?? [];
  const bucket = resolver.physicalName(bucketId as string);
  const roleId = (prefix: string) => {
    const ids = resolver.resourcesOfType('AWS::IAM::Role').filter(([id]) => id.startsWith(prefix));
    expect(ids).toHaveLength(1);
    return (ids[0] as [string, unknown])[0];
  };
  const allowed = async (role: string, action: string, key: string) =>
    (await iam.check(iam.principalOfRole(roleId(role), 'test'), [
      { action, resource: `arn:aws:s3:::${bucket}/${key}` },
    ])) === undefined;

  it.each(ROLES)('$role may write and read the keys its code builds', async ({ role, writes, reads }) => {
    for (const key of writes) expect([key, await allowed(role, 's3:PutObject', key)]).toEqual([key, true]);
    for (const key of reads) expect([key, await allowed(role, 's3:GetObject', key)]).toEqual([key, true]);
  });

  it('lets the feature statements read the curated transactions and click events, not their raw versions', async () => {
    const role = 'FeaturesStateMachineRole';
    expect(await allowed(role, 's3:GetObject', lakeKeys.curatedFile('transactions', `dt=${DT}`, 'x'))).toBe(true);
    expect(await allowed(role, 's3:GetObject', lakeKeys.rawTransactions(DT, 'x'))).toBe(false);
    expect(await allowed(role, 's3:GetObject', `${lakeKeys.rawClickstreamHour(DT, '09')}b.jsonl`)).toBe(false);
    // Only the curation (the features-build function) replaces a curated file.
    expect(
      await allowed(
        'FeaturesBuildFunctionServiceRole',
        's3:DeleteObject',
        lakeKeys.curatedFile('transactions', `dt=${DT}`, 'x'),
      ),
    ).toBe(true);
    expect(await allowed(role, 's3:DeleteObject', lakeKeys.curatedFile('transactions', `dt=${DT}`, 'x'))).toBe(false);
  });

  it('lets only its owner write a key', async () => {
    for (const key of OWNED) {
      const writers: string[] = [];
      for (const { role } of ROLES) if (await allowed(role, 's3:PutObject', key)) writers.push(role);
      expect([key, writers.length]).toEqual([key, 1]);
    }
  });
});
