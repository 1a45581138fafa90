/**
 * Lake audit task: re-reads every data object under a prefix and checks it against its manifest
 * (MD5, size, record count), then writes `reports/audit/<runId>.json`. Exit code 0 when every
 * object matches, 1 when any does not, 2 on bad configuration. A version that a re-upload retired
 * after the listing is reported as superseded, not as a failure. Runs as an ECS Fargate task in the
 * pipeline and as a child process on the local cloud (same entrypoint, same environment contract).
 */
import { s3Client } from '../../layers/aws/clients';
import { type AuditEntry, auditManifest, listKeys } from '../../layers/lake/inventory';
import { LAKE_PREFIXES, lakeKeys } from '../../layers/lake/keys';
import { putJson } from '../../layers/lake/s3-io';
import { isManifestKey } from '../../layers/lake/zones';
import { mapSettled } from '../../layers/util/concurrency';

async function main(): Promise<number> {
  const bucket = process.env.LAKE_BUCKET;
  const runId = process.env.RUN_ID;
  const prefix = process.env.AUDIT_PREFIX ?? LAKE_PREFIXES.raw;
  if (!bucket || !runId) {
    console.error('LAKE_BUCKET and RUN_ID must be set (the state machine passes them as container overrides).');
    return 2;
  }
  const s3 = s3Client();
  const manifestKeys: string[] = [];
  for await (const key of listKeys(s3, bucket, prefix)) if (isManifestKey(key)) manifestKeys.push(key);
  console.log(JSON.stringify({ level: 'INFO', message: 'auditing', runId, prefix, manifests: manifestKeys.length }));
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
  console.log(JSON.stringify({ level: failures.length ? 'ERROR' : 'INFO', message: 'audit done', ...report }));
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`Lake audit failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
