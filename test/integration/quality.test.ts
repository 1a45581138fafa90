import { InvokeCommand } from '@aws-sdk/client-lambda';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../../layers/aws/clients';
import { lambdaClient } from '../../layers/aws/control-plane-clients';
import { versionName } from '../../layers/ingest/landing';
import { listKeys } from '../../layers/lake/inventory';
import { lakeKeys } from '../../layers/lake/keys';
import { getBytes } from '../../layers/lake/s3-io';
import type { QualityStatus } from '../../layers/quality/status';
import { eventually, type TestCloud, testCloud } from '../helpers/cloud';

const HEADER = 'transaction_id,customer_id,product_id,quantity,unit_price,rating,timestamp';

/** Data quality on the cloud: a raw manifest landing produces a report; a bad version is blocked for training. */
describe('data quality on the cloud', () => {
  let cloud: TestCloud;
  let s3: S3Client;
  let bucket: string;
  beforeAll(async () => {
    cloud = await testCloud();
    s3 = s3Client({ env: cloud.env });
    bucket = cloud.outputs.LakeBucketName as string;
  });

  const day = '2026-11-17';
  const status = (name: string) =>
    eventually(
      async () => {
        try {
          const key = lakeKeys.qualityStatus(
            lakeKeys.rawTransactions(day, versionName(`landing/transactions/${name}.csv`, 1)),
          );
          return JSON.parse(Buffer.from(await getBytes(s3, bucket, key)).toString()) as QualityStatus;
        } catch {
          return undefined;
        }
      },
      90_000,
      `the quality status of ${name}`,
      1_000,
    );

  it('reports on every raw version and blocks a failing one for training, saying why', async () => {
    // product ids that exist in any catalog the other tests load (or no catalog: not evaluated)
    const good = [HEADER, `qg1,u1,p00001,1,9.99,5,${day}T10:00:00Z`, `qg2,u2,p00002,2,5.00,,${day}T11:00:00Z`].join(
      '\n',
    );
    const bad = [HEADER, `qb1,u1,p00001,1,9.99,9,${day}T10:00:00Z`, `qb1,u2,p00002,0,5.00,4,${day}T11:00:00Z`].join(
      '\n',
    );
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'landing/transactions/q-good.csv', Body: good }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'landing/transactions/q-bad.csv', Body: bad }));

    const ok = await status('q-good');
    expect(ok).toMatchObject({ usable: true, failedCritical: [], rows: 2, badRows: 0 });
    const blocked = await status('q-bad');
    expect(blocked.usable).toBe(false);
    expect(blocked.failedCritical).toEqual(
      expect.arrayContaining(['rating_1_5', 'quantity_positive', 'unique_transaction_id']),
    );

    const reportBase = blocked.report.replace(/\.html$/, '');
    expect(
      Buffer.from(await getBytes(s3, bucket, `${reportBase}.pdf`))
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
    expect(Buffer.from(await getBytes(s3, bucket, blocked.report)).toString()).toContain('<svg');
    const result = JSON.parse(Buffer.from(await getBytes(s3, bucket, `${reportBase}.json`)).toString());
    expect(result.checks.find((c: { id: string }) => c.id === 'rating_1_5').examples[0]).toMatchObject({
      row: 1,
      value: '9',
    });

    const quarantined: string[] = [];
    for await (const key of listKeys(s3, bucket, `quarantine/quality/transactions/dt=${day}/`)) {
      if (key.endsWith(`ingested_${versionName('landing/transactions/q-bad.csv', 1)}.jsonl`))
        quarantined.push(
          ...Buffer.from(await getBytes(s3, bucket, key))
            .toString()
            .trim()
            .split('\n'),
        );
    }
    expect(quarantined.map((l) => JSON.parse(l).row)).toEqual([1, 2]);

    // The training pipeline's first step leaves the blocked version out and says why.
    const checkInputs = Object.entries(cloud.outputs).length > 0 ? await invokeCheckInputs() : undefined;
    expect(checkInputs?.blocked).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          dataKey: lakeKeys.rawTransactions(day, versionName('landing/transactions/q-bad.csv', 1)),
          report: blocked.report,
        }),
      ]),
    );
    expect(checkInputs?.blocked.some((b: { dataKey: string }) => b.dataKey.includes('q-good'))).toBe(false);
  });

  async function invokeCheckInputs() {
    const out = await lambdaClient({ env: cloud.env }).send(
      new InvokeCommand({
        FunctionName: cloud.outputs.CheckInputsFunctionName,
        Payload: JSON.stringify({ runId: 'quality-it' }),
      }),
    );
    return JSON.parse(Buffer.from(out.Payload ?? []).toString());
  }
});
