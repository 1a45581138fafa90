/**
 * Lake audit task: re-reads every data object under a prefix and checks it against its manifest
 * (MD5, size, record count), then writes `reports/audit/<runId>.json`. Exit code 0 when every
 * object matches, 1 when any does not, 2 on bad configuration. A version that a re-upload retired
 * after the listing is reported as superseded, not as a failure. Runs as an ECS Fargate task in the
 * pipeline and as a child process on the local cloud (same entrypoint, same environment contract).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { z } from 'zod';
import { s3Client } from '../../layers/aws/clients';
import { type AuditEntry, auditManifest, listKeys } from '../../layers/lake/inventory';
import { lakeKeys } from '../../layers/lake/keys';
import { putJson } from '../../layers/lake/s3-io';
import { isManifestKey } from '../../layers/lake/zones';
import { mapSettled } from '../../layers/util/concurrency';
import { readEnv } from '../../layers/util/env';
import { LakeAuditEnv } from './env';

const logger = new Logger({ serviceName: 'lake-audit' });

async function main(): Promise<number> {
  let env: z.output<typeof LakeAuditEnv>;
  try {
    env = readEnv(LakeAuditEnv);
  } catch (err) {
    logger.error('bad configuration', { error: (err as Error).message });
    return 2;
  }
  const { LAKE_BUCKET: bucket, RUN_ID: runId, AUDIT_PREFIX: prefix } = env;
  const s3 = s3Client();
  const manifestKeys: string[] = [];
  for await (const key of listKeys(s3, bucket, prefix)) if (isManifestKey(key)) manifestKeys.push(key);
  logger.info('auditing', { runId, prefix, manifests: manifestKeys.length });
  const settled = await mapSettled(manifestKeys, 16, (key) => auditManifest(s3, bucket, key));
  const entries: AuditEntry[] = settled.map((r, i) =>
    r.status === 'fulfilled'
      ? r.value
      : { manifestKey: manifestKeys[i] ?? '', dataKey: '', records: 0, ok: false, problems: [String(r.reason)] },
  );
  const failures = entries.filter((e) => !e.ok);
  // Versions a re-upload retired between the listing and the read: gone on purpose, not corrupt.
  const superseded = entries.filter((e) => e.superseded).map((e) => e.manifestKey);
  const report = {
    runId,
    prefix,
    auditedAt: new Date().toISOString(),
    objects: entries.length - superseded.length,
    records: entries.reduce((sum, e) => sum + e.records, 0),
    superseded,
    failures,
  };
  await putJson(s3, bucket, lakeKeys.audit(runId), report);
  if (failures.length) logger.error('audit done', report);
  else logger.info('audit done', report);
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    logger.error('lake audit failed', { error: err instanceof Error ? err.message : String(err) });
    process.exitCode = 1;
  },
);
