import fc from 'fast-check';
import { LAKE_ACCESS } from '../../../layers/lake/access';
import { datasetPrefix, isMasterLatestKey, LAKE_PREFIXES, lakeKeys } from '../../../layers/lake/keys';
import { manifestKeyFor, ZONES } from '../../../layers/lake/zones';

const segment = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.=-]{0,20}$/);
const date = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const entity = fc.constantFrom('catalog' as const, 'customers' as const);

/** Each builder with arguments for it, and the prefix its keys must fall under. */
const BUILDERS: [string, fc.Arbitrary<string>, (key: string) => string][] = [
  [
    'rawTransactions',
    fc.tuple(date, segment).map(([d, n]) => lakeKeys.rawTransactions(d, n)),
    () => LAKE_PREFIXES.rawTransactions,
  ],
  [
    'rawClickstreamHour',
    fc
      .tuple(date, fc.integer({ min: 0, max: 23 }))
      .map(([d, h]) => lakeKeys.rawClickstreamHour(d, String(h).padStart(2, '0'))),
    () => LAKE_PREFIXES.rawClickstream,
  ],
  [
    'curatedFile',
    fc
      .tuple(fc.constantFrom('transactions', 'clickstream'), date, fc.stringMatching(/^[0-9a-f]{20}$/))
      .map(([ds, d, digest]) => lakeKeys.curatedFile(ds, `dt=${d}`, digest)),
    () => LAKE_PREFIXES.curated,
  ],
  [
    'curatedDir',
    fc
      .tuple(date, fc.integer({ min: 0, max: 23 }))
      .map(([d, h]) => lakeKeys.curatedDir('clickstream', `dt=${d}/hour=${String(h).padStart(2, '0')}`)),
    () => LAKE_PREFIXES.curated,
  ],
  ['masterLatest', entity.map((e) => lakeKeys.masterLatest(e)), () => LAKE_PREFIXES.rawMaster],
  ['masterDated', fc.tuple(entity, date).map(([e, d]) => lakeKeys.masterDated(e, d)), () => LAKE_PREFIXES.rawMaster],
  ['rawExternalMetadata', date.map((d) => lakeKeys.rawExternalMetadata(d)), () => LAKE_PREFIXES.rawExternalMetadata],
  [
    'archived',
    fc.tuple(date, segment).map(([d, n]) => lakeKeys.archived('transactions', d, n)),
    () => datasetPrefix('archive', 'transactions'),
  ],
  [
    'quarantineDir',
    date.map((d) => `${lakeKeys.quarantineDir('master/catalog', d)}/x.csv`),
    () => datasetPrefix('quarantine', 'master'),
  ],
  [
    'quarantineClickstream',
    date.map((d) => lakeKeys.quarantineClickstream(d)),
    () => datasetPrefix('quarantine', 'clickstream'),
  ],
  [
    'qualityQuarantine',
    fc.tuple(segment, date, segment).map(([s, d, n]) => lakeKeys.qualityQuarantine(s, `dt=${d}`, n)),
    () => LAKE_PREFIXES.qualityQuarantine,
  ],
  [
    'qualityReportBase',
    fc.tuple(segment, date, segment).map(([s, d, n]) => lakeKeys.qualityReportBase(s, `dt=${d}`, n)),
    () => LAKE_PREFIXES.qualityReports,
  ],
  [
    'qualityStatus',
    fc.tuple(date, segment).map(([d, n]) => lakeKeys.qualityStatus(lakeKeys.rawTransactions(d, n))),
    () => LAKE_PREFIXES.qualityStatus,
  ],
  ['pipelineBlocked', segment.map((r) => lakeKeys.pipelineBlocked(r)), () => LAKE_PREFIXES.pipelineReports],
  ['audit', segment.map((r) => lakeKeys.audit(r)), () => LAKE_PREFIXES.auditReports],
  [
    'featureVersionDir',
    fc.tuple(segment, segment).map(([s, v]) => `${lakeKeys.featureVersionDir(s, v)}part-0.parquet`),
    () => LAKE_PREFIXES.features,
  ],
  ['featureBuildPlan', segment.map((v) => lakeKeys.featureBuildPlan(v)), () => LAKE_PREFIXES.featureBuilds],
  ['featureBuildFiles', segment.map((v) => lakeKeys.featureBuildFiles(v)), () => LAKE_PREFIXES.featureBuilds],
  ['featureBuildSources', segment.map((v) => lakeKeys.featureBuildSources(v)), () => LAKE_PREFIXES.featureBuildSources],
  [
    'featureRegistry',
    fc.tuple(segment, segment).map(([s, v]) => lakeKeys.featureRegistry(s, v)),
    () => LAKE_PREFIXES.featureRegistry,
  ],
  ['modelPrefix', segment.map((r) => lakeKeys.modelPrefix(r)), () => LAKE_PREFIXES.models],
  [
    'lineage',
    fc.tuple(segment, date, segment).map(([j, d, r]) => lakeKeys.lineage(j, d, r)),
    () => LAKE_PREFIXES.lineage,
  ],
];

describe('the lake key contract', () => {
  it('puts every prefix in a zone of the lake', () => {
    const zones = ZONES.map((z) => `${z}/`);
    for (const prefix of [
      ...Object.values(LAKE_PREFIXES),
      ...Object.values(LAKE_ACCESS).flatMap((a) => [...a.read, ...a.write]),
    ])
      expect(zones.some((z) => prefix.startsWith(z))).toBe(true);
  });

  it('has a builder test for every builder', () => {
    expect(BUILDERS.map(([name]) => name).sort()).toEqual(
      Object.keys(lakeKeys)
        .filter((k) => !['masterLatestDir', 'featureRegistryOf'].includes(k))
        .sort(),
    );
  });

  it.each(BUILDERS)('builds %s keys under their prefix, with no empty or dot segments', (_name, keys, prefixOf) => {
    fc.assert(
      fc.property(keys, (key) => {
        expect(key.startsWith(prefixOf(key))).toBe(true);
        expect(key.split('/').slice(0, -1)).not.toContain('');
        expect(key.split('/')).not.toContain('..');
      }),
    );
  });

  it('tells the latest/ copy of a master entity from its dated snapshot', () => {
    expect(isMasterLatestKey(manifestKeyFor(lakeKeys.masterLatest('catalog')))).toBe(true);
    expect(isMasterLatestKey(manifestKeyFor(lakeKeys.masterDated('catalog', '2026-11-30')))).toBe(false);
    expect(isMasterLatestKey(manifestKeyFor(lakeKeys.rawTransactions('2026-11-30', 'latest')))).toBe(false);
  });
});
