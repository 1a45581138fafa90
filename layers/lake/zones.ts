/** The lake's zones, as key prefixes of the one lake bucket (README, "Architecture"). */
export const ZONES = [
  'landing',
  'raw',
  'archive',
  'quarantine',
  'curated',
  'features',
  'models',
  'reports',
  'lineage',
] as const;
export type Zone = (typeof ZONES)[number];

/** `dt=YYYY-MM-DD` and `hour=HH` Hive-style partition values of a UTC instant. */
export function partitionOf(epochMs: number): { dt: string; hour: string } {
  const iso = new Date(epochMs).toISOString();
  return { dt: iso.slice(0, 10), hour: iso.slice(11, 13) };
}

/**
 * The manifest key that belongs to a data object: written after it, and the signal that it is
 * complete. It sits next to the object as a hidden file (`_` prefix), which Athena, Glue and Spark
 * skip, so a table over the folder reads only data (docs/decisions/005-hidden-manifests.md).
 */
export function manifestKeyFor(dataKey: string): string {
  const slash = dataKey.lastIndexOf('/');
  return `${dataKey.slice(0, slash + 1)}_${dataKey.slice(slash + 1)}.manifest.json`;
}

export function isManifestKey(key: string): boolean {
  return key.endsWith('.manifest.json');
}

/** Keys arrive URL-encoded in S3 event notifications, with `+` for spaces. */
export function decodeS3EventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}
