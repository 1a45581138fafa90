import { PutObjectCommand } from '@aws-sdk/client-s3';
import { dynamoDbDocumentClient, s3Client, sfnClient } from '../../layers/aws/clients';
import { Ledger } from '../../layers/ingest/ledger';
import { runFeatureBuild } from '../../lib/cli/commands/features';
import type { LocalCloud } from '../../lib/local-cloud';
import type { CfnTemplate } from '../../lib/local-cloud/template';
import { eventually } from '../helpers/cloud';
import { ownCloud } from '../helpers/own-cloud';

/** Remove every policy statement whose resources mention `fragment` (as if a construct forgot a grant). */
function withoutGrant(template: CfnTemplate, fragment: string): CfnTemplate {
  const copy = JSON.parse(JSON.stringify(template)) as CfnTemplate;
  let removed = 0;
  for (const resource of Object.values(copy.Resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const doc = resource.Properties?.PolicyDocument as { Statement: unknown[] };
    const before = doc.Statement.length;
    doc.Statement = doc.Statement.filter(
      (s) => !JSON.stringify((s as { Resource?: unknown }).Resource ?? '').includes(fragment),
    );
    removed += before - doc.Statement.length;
  }
  if (removed === 0) throw new Error(`no statement mentions ${fragment}`);
  return copy;
}

/**
 * The local cloud evaluates every call a function makes against its role's policies in the template,
 * as AWS does: take one grant away from the transactions ingest and its ingestion fails with AWS's
 * AccessDenied, recorded in the ledger.
 */
describe('IAM on the local cloud', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    ({ cloud } = await ownCloud('iam', {
      templateTransform: (t) =>
        withoutGrant(withoutGrant(t, '/lineage/transactions-ingest/*'), '/features/interactions/*'),
    }));
  }, 120_000);
  afterAll(async () => {
    await cloud?.stop();
  });

  it('denies what the role may not do: the ingest fails and says which action on which key', async () => {
    const env = cloud.sdkEnv();
    const outputs = cloud.info?.outputs ?? {};
    const s3 = s3Client({ env });
    const key = 'landing/transactions/iam-check.csv';
    await s3.send(
      new PutObjectCommand({
        Bucket: outputs.LakeBucketName,
        Key: key,
        Body: 'transaction_id,customer_id,product_id,quantity,unit_price,rating,timestamp\ni1,u1,p1,1,2.00,,2026-10-01T10:00:00Z\n',
      }),
    );
    const ledger = new Ledger(dynamoDbDocumentClient({ env }), outputs.LedgerTableName as string);
    const failed = await eventually(
      async () => (await ledger.versions(key)).find((v) => v.status === 'FAILED'),
      60_000,
      'the ingest to fail',
    );
    expect(failed.error).toMatch(
      /is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::[^/]+\/lineage\/transactions-ingest\/.*" because no identity-based policy allows the s3:PutObject action/,
    );
    // What it had written before the denied call is recorded, for its retry to rewrite or a replace to retire.
    expect(failed.partialOutputs?.some((k) => k.startsWith('raw/transactions/'))).toBe(true);
    s3.destroy();
  }, 120_000);

  it('runs a state machine’s Athena queries with its role: a statement that may not write its UNLOAD fails, and says so', async () => {
    const env = cloud.sdkEnv();
    const outputs = cloud.info?.outputs ?? {};
    const sfn = sfnClient({ env });
    const execution = await runFeatureBuild(
      sfn,
      outputs.FeatureBuildStateMachineArn as string,
      'iam-features',
      () => undefined,
      200,
    );
    sfn.destroy();
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.TaskFailed');
    expect(execution.cause).toMatch(
      /Access denied: .*is not authorized to perform: s3:PutObject on resource: \\?"arn:aws:s3:::[^/]+\/features\/interactions\/v=/,
    );
  }, 120_000);
});
