/**
 * Every command, with a one-line summary for `recomart --help`. A command's module (and what it
 * imports: the local cloud, the AWS SDK, report renderers) is loaded only when that command runs, so
 * the CLI answers at once (README, "Development").
 */
import type { Command } from 'commander';
import type * as Demo from './demo';
import type * as Dlq from './dlq';
import type * as Eda from './eda';
import type * as Features from './features';
import type * as Generate from './generate';
import type * as Lineage from './lineage';
import type * as Local from './local';
import type * as Models from './models';
import type * as Recommend from './recommend';
import type * as RunPipeline from './run-pipeline';
import type * as Schedule from './schedule';
import type * as SimulateClicks from './simulate-clicks';
import type * as Sql from './sql';
import type * as Train from './train';
import type * as Upload from './upload';
import type * as Validate from './validate';

export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  /** Load the command's module and return its registration. */
  readonly load: () => (program: Command) => void;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'demo',
    summary: 'run the whole pipeline end to end on the embedded local cloud',
    load: () => (require('./demo') as typeof Demo).registerDemo,
  },
  {
    name: 'local',
    summary: 'run, inspect or stop the embedded local cloud',
    load: () => (require('./local') as typeof Local).registerLocal,
  },
  {
    name: 'schedule',
    summary: "list the stack's schedules on the local cloud, or fire one now",
    load: () => (require('./schedule') as typeof Schedule).registerSchedule,
  },
  {
    name: 'simulate-clicks',
    summary: 'stream synthetic shopping sessions to the clickstream',
    load: () => (require('./simulate-clicks') as typeof SimulateClicks).registerSimulateClicks,
  },
  {
    name: 'generate',
    summary: 'write a seeded synthetic dataset',
    load: () => (require('./generate') as typeof Generate).registerGenerate,
  },
  {
    name: 'upload',
    summary: "drop a CSV into the lake's landing zone",
    load: () => (require('./upload') as typeof Upload).registerUpload,
  },
  {
    name: 'lineage',
    summary: 'where a lake object came from and what was built from it',
    load: () => (require('./lineage') as typeof Lineage).registerLineage,
  },
  {
    name: 'validate',
    summary: 'run a quality suite on a file',
    load: () => (require('./validate') as typeof Validate).registerValidate,
  },
  {
    name: 'eda',
    summary: 'exploratory report of a transactions file',
    load: () => (require('./eda') as typeof Eda).registerEda,
  },
  {
    name: 'features',
    summary: 'build batch features, read online features',
    load: () => (require('./features') as typeof Features).registerFeatures,
  },
  {
    name: 'train',
    summary: 'tune and train a recommender on a ratings file',
    load: () => (require('./train') as typeof Train).registerTrain,
  },
  {
    name: 'run-pipeline',
    summary: 'start the training pipeline and follow it',
    load: () => (require('./run-pipeline') as typeof RunPipeline).registerRunPipeline,
  },
  {
    name: 'dlq',
    summary: 'inspect and replay the clickstream dead-letter queue',
    load: () => (require('./dlq') as typeof Dlq).registerDlq,
  },
  {
    name: 'recommend',
    summary: "ask the recommendations API for a user's top-k",
    load: () => (require('./recommend') as typeof Recommend).registerRecommend,
  },
  {
    name: 'catalog',
    summary: "the lake's tables in the Glue Data Catalog, with their columns",
    load: () => (require('./sql') as typeof Sql).registerCatalog,
  },
  {
    name: 'query',
    summary: "run SQL over the lake's tables (Athena; DuckDB on the local cloud)",
    load: () => (require('./sql') as typeof Sql).registerQuery,
  },
  {
    name: 'models',
    summary: 'the model registry: list, show, compare, promote, roll back',
    load: () => (require('./models') as typeof Models).registerModels,
  },
];
