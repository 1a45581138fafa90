import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../../layers/aws/clients';
import { summarizeZone } from '../../layers/lake/inventory';
import { sampleTransactionsCsv } from '../../layers/transactions/sample';
import { LambdaFunctions, LocalCloud } from '../../lib/local-cloud';
import { recomartProfile } from '../../lib/local-profile';

const external = Boolean(process.env.AWS_ENDPOINT_URL);

/**
 * No wiring is written twice: change the trigger's prefix in the stack (through stage config) and the
 * local cloud triggers on the new prefix and no longer on the old one. Only meaningful for the
 * embedded cloud, which is the thing under test here.
 */
(external ? describe.skip : describe)('local cloud follows the synthesized template', () => {
  it('triggers transactions ingest on the prefix the stack declares, and only there', async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'recomart-follow-'));
    const cloud = new LocalCloud({
      stateDir,
      profile: recomartProfile(),
      context: { 'recomart:config': JSON.stringify({ lake: { transactionsPrefix: 'incoming/tx/' } }) },
    });
    try {
      const info = await cloud.start();
      const s3 = s3Client({ env: cloud.sdkEnv() });
      const bucket = info.outputs.LakeBucketName as string;
      const csv = sampleTransactionsCsv({ rows: 50, badShare: 0, seed: 3 }).csv;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'incoming/tx/new.csv', Body: csv }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'landing/transactions/old.csv', Body: csv }));
      await cloud.settle();

      expect((await summarizeZone(s3, bucket, 'raw/transactions/')).records).toBe(50);
      await expect(
        s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'incoming/tx/new.csv' })),
      ).rejects.toMatchObject({ name: 'NotFound' });
      await expect(
        s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'landing/transactions/old.csv' })),
      ).resolves.toBeDefined();
      expect(
        cloud
          .plugin(LambdaFunctions)
          .byRef(
            cloud.info?.resources.find(
              (r) => r.type === 'AWS::Lambda::Function' && r.logicalId.startsWith('BatchIngestionTransactions'),
            )?.logicalId ?? '',
          ).invocations,
      ).toBe(1);
    } finally {
      await cloud.stop();
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
