/**
 * Model artifacts: ALS factors and biases, item popularity and categories in one little-endian
 * Float32 file (`model.bin`) laid out as `model.json` says, item-item neighbours in `neighbors.bin`,
 * id maps, metrics and a model card; and the loader the publishing step uses to serve top-N for a
 * user with whichever recommender the run chose.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AlsModel, AlsParams } from './als';
import { topK } from './evaluate';
import {
  alsRecommender,
  blendRecommender,
  categoryRecommender,
  itemItemRecommender,
  popularityPrior,
  popularityRecommender,
  type Recommender,
  type RecommenderKind,
} from './recommenders';
import type { FittedRecommender } from './tuning';

interface Layout {
  readonly userFactors: number;
  readonly itemFactors: number;
  readonly userBias: number;
  readonly itemBias: number;
  /** Training users per item (format 2). */
  readonly popularity?: number;
  /** Category index per item, -1 unknown (format 2, category+popularity). */
  readonly categories?: number;
  readonly length: number;
}

export interface ModelHeader {
  /** 1: ALS only; 2: any recommender kind. */
  readonly format: 'recomart-als/1' | 'recomart-model/2';
  /** Format 2: what is served (format 1 is always ALS). */
  readonly kind?: RecommenderKind;
  /** The weight of the popularity prior or of the category share. */
  readonly weight?: number;
  readonly params: AlsParams;
  readonly users: number;
  readonly items: number;
  readonly globalMean: number;
  /** Float32 offsets (in values, not bytes) inside model.bin. */
  readonly layout: Layout;
  /** item-item: `width` neighbours per item in neighbors.bin (Int32 indexes, then Float32 similarities). */
  readonly neighbors?: { readonly width: number };
}

/** Write a fitted recommender (ALS factors when it has them, popularity, categories, neighbours). */
export function writeModel(
  dir: string,
  fitted: FittedRecommender | AlsModel,
  userIds: readonly string[],
  itemIds: readonly string[],
  itemCategories?: Int32Array,
): string[] {
  fs.mkdirSync(dir, { recursive: true });
  if (!isLittleEndian()) throw new Error('model.bin is little-endian; this machine is not');
  const f: FittedRecommender =
    'recommender' in fitted
      ? fitted
      : {
          kind: 'als',
          model: fitted,
          popularity: new Float64Array(fitted.items),
          recommender: alsRecommender(fitted),
          threads: 1,
        };
  // ALS factors are kept only when what is served uses them.
  const model = f.kind === 'als' || f.kind === 'als+popularity' ? f.model : undefined;
  const users = userIds.length;
  const items = itemIds.length;
  const k = model?.params.rank ?? 0;
  const sizes = {
    userFactors: model ? users * k : 0,
    itemFactors: model ? items * k : 0,
    userBias: model ? users : 0,
    itemBias: model ? items : 0,
    popularity: items,
    categories: f.kind === 'category+popularity' ? items : 0,
  };
  let at = 0;
  const layout: Record<string, number> = {};
  for (const [name, size] of Object.entries(sizes)) {
    layout[name] = at;
    at += size;
  }
  const all = new Float32Array(at);
  if (model) {
    all.set(model.userFactors, layout.userFactors);
    all.set(model.itemFactors, layout.itemFactors);
    all.set(model.userBias, layout.userBias);
    all.set(model.itemBias, layout.itemBias);
  }
  all.set(f.popularity, layout.popularity);
  if (sizes.categories > 0) {
    if (!itemCategories) throw new Error("category+popularity needs the items' categories");
    all.set(itemCategories, layout.categories);
  }
  const header: ModelHeader = {
    format: 'recomart-model/2',
    kind: f.kind,
    ...(f.beta !== undefined ? { weight: f.beta } : {}),
    params: model?.params ?? { rank: 0, iterations: 0, lambda: 0, implicit: true, alpha: 0, cgSteps: 0, seed: 0 },
    users,
    items,
    globalMean: model?.globalMean ?? 0,
    layout: { ...(layout as unknown as Layout), length: at },
    ...(f.neighbors ? { neighbors: { width: f.neighbors.width } } : {}),
  };
  const files: Record<string, string | Buffer> = {
    'model.bin': Buffer.from(all.buffer, all.byteOffset, all.byteLength),
    'model.json': `${JSON.stringify(header, null, 2)}\n`,
    'user_ids.json': JSON.stringify(userIds),
    'item_ids.json': JSON.stringify(itemIds),
  };
  if (f.neighbors) {
    const nb = f.neighbors;
    files['neighbors.bin'] = Buffer.concat([
      Buffer.from(nb.neighbors.buffer, nb.neighbors.byteOffset, nb.neighbors.byteLength),
      Buffer.from(nb.similarity.buffer, nb.similarity.byteOffset, nb.similarity.byteLength),
    ]);
  }
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return Object.keys(files).map((name) => path.join(dir, name));
}

/** The files a model directory holds for this header. */
export function modelFiles(header: ModelHeader): string[] {
  return ['model.json', 'model.bin', 'user_ids.json', 'item_ids.json', ...(header.neighbors ? ['neighbors.bin'] : [])];
}

export interface LoadedModel {
  readonly header: ModelHeader;
  readonly userIndex: Map<string, number>;
  readonly itemIds: string[];
  readonly itemIndex: Map<string, number>;
  readonly values: Float32Array;
  readonly recommender: Recommender;
}

export function loadModel(dir: string): LoadedModel {
  const header = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as ModelHeader;
  if (header.format !== 'recomart-als/1' && header.format !== 'recomart-model/2')
    throw new Error(`${dir} does not hold a recomart model`);
  const bin = fs.readFileSync(path.join(dir, 'model.bin'));
  const values = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  if (values.length !== header.layout.length)
    throw new Error(`${dir}/model.bin has ${values.length} values, model.json says ${header.layout.length}`);
  const userIds = JSON.parse(fs.readFileSync(path.join(dir, 'user_ids.json'), 'utf8')) as string[];
  const itemIds = JSON.parse(fs.readFileSync(path.join(dir, 'item_ids.json'), 'utf8')) as string[];
  const { users, items, params, layout } = header;
  const k = params.rank;
  const kind = header.kind ?? 'als';
  const als: AlsModel = {
    params,
    users,
    items,
    userFactors: values.subarray(layout.userFactors, layout.userFactors + users * k),
    itemFactors: values.subarray(layout.itemFactors, layout.itemFactors + items * k),
    userBias: values.subarray(layout.userBias, layout.userBias + users),
    itemBias: values.subarray(layout.itemBias, layout.itemBias + items),
    globalMean: header.globalMean,
    loss: [],
    trainSeconds: 0,
    flops: 0,
  };
  const popularity =
    layout.popularity !== undefined
      ? Float64Array.from(values.subarray(layout.popularity, layout.popularity + items))
      : new Float64Array(items);
  let recommender: Recommender;
  if (kind === 'als') recommender = alsRecommender(als);
  else if (kind === 'als+popularity')
    recommender = blendRecommender(als, popularityPrior(popularity), header.weight ?? 1);
  else if (kind === 'popularity') recommender = popularityRecommender(popularity);
  else if (kind === 'category+popularity') {
    const categories = Int32Array.from(values.subarray(layout.categories ?? 0, (layout.categories ?? 0) + items));
    let count = 0;
    for (const c of categories) count = Math.max(count, c + 1);
    recommender = categoryRecommender(popularity, categories, count, header.weight ?? 1);
  } else {
    const width = header.neighbors?.width ?? 0;
    const raw = fs.readFileSync(path.join(dir, 'neighbors.bin'));
    const bytes = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
    if (bytes.byteLength !== items * width * 8)
      throw new Error(`${dir}/neighbors.bin has ${bytes.byteLength} bytes, model.json implies ${items * width * 8}`);
    recommender = itemItemRecommender(
      {
        width,
        neighbors: new Int32Array(bytes, 0, items * width),
        similarity: new Float32Array(bytes, items * width * 4, items * width),
      },
      popularity,
    );
  }
  return {
    header,
    userIndex: new Map(userIds.map((id, i) => [id, i])),
    itemIds,
    itemIndex: new Map(itemIds.map((id, i) => [id, i])),
    values,
    recommender,
  };
}

/**
 * Top-n item ids for a user, best first, skipping `exclude` (the user's training items, which
 * history-based recommenders score from); undefined for an unknown user (cold start).
 */
export function recommendFor(
  model: LoadedModel,
  userId: string,
  n: number,
  exclude: ReadonlySet<string> = new Set(),
): { itemId: string; score: number }[] | undefined {
  const u = model.userIndex.get(userId);
  if (u === undefined) return undefined;
  const history: number[] = [];
  for (const id of exclude) {
    const i = model.itemIndex.get(id);
    if (i !== undefined) history.push(i);
  }
  const scores = new Float64Array(model.header.items);
  model.recommender.scores(u, history, scores);
  for (const i of history) scores[i] = Number.NEGATIVE_INFINITY;
  return topK(scores, n).map((i) => ({
    itemId: model.itemIds[i] as string,
    score: Number((scores[i] as number).toFixed(5)),
  }));
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}
