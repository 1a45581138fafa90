/**
 * Feature items as people read them: the feature set, its version, as of when, and the features, without
 * the store's bookkeeping (keys, TTL, a session's per-shard watermarks and recent event ids).
 */
import { REALTIME_SESSION_SK, TTL_ATTRIBUTE } from './keys';

export interface ReadableFeatureSet {
  readonly featureSet: string;
  readonly version: string;
  readonly asOf: string;
  readonly features: Record<string, unknown>;
}

/** What a real-time session item holds for the store only (redelivery and expiry bookkeeping). */
const SESSION_BOOKKEEPING = new Set([
  'pk',
  'sk',
  TTL_ATTRIBUTE,
  'watermarks',
  'recentEventIds',
  'featureSet',
  'featureSetVersion',
  'version',
  'eventTime',
  'updatedAt',
  'userId',
]);

export function readableFeatureSet(item: Record<string, unknown>): ReadableFeatureSet {
  const featureSet = String(item.featureSet ?? String(item.sk ?? '').replace(/^fs#/, ''));
  const version = String(item.featureSetVersion ?? '');
  if (item.sk === REALTIME_SESSION_SK) {
    const features: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(item)) if (!SESSION_BOOKKEEPING.has(k)) features[k] = v;
    return { featureSet, version, asOf: String(item.updatedAt ?? item.eventTime ?? ''), features };
  }
  return {
    featureSet,
    version,
    asOf: String(item.eventTime ?? ''),
    features: (item.features as Record<string, unknown> | undefined) ?? {},
  };
}

/** A user's feature sets, the real-time session first, then the batch sets by name. */
export function readableUserFeatures(items: Readonly<Record<string, Record<string, unknown>>>): ReadableFeatureSet[] {
  return Object.entries(items)
    .sort(([a], [b]) => (a === REALTIME_SESSION_SK ? -1 : b === REALTIME_SESSION_SK ? 1 : a.localeCompare(b)))
    .map(([, item]) => readableFeatureSet(item));
}

/** Text lines for a terminal: one heading per feature set, one `name: value` line per feature. */
export function featureLines(entity: string, sets: readonly ReadableFeatureSet[]): string[] {
  const lines = [entity];
  for (const set of sets) {
    lines.push(`  ${set.featureSet} (version ${set.version || '—'}, as of ${set.asOf || '—'})`);
    const width = Math.max(0, ...Object.keys(set.features).map((k) => k.length));
    for (const [k, v] of Object.entries(set.features))
      lines.push(`    ${k.padEnd(width)}  ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return lines;
}
