/**
 * Model artifacts: factors and biases in one little-endian Float32 file (`model.bin`) laid out as
 * `model.json` says, id maps, metrics and a model card; and the loader the publishing step uses to
 * serve top-N for a user.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AlsModel, AlsParams } from './als';
import { topK } from './evaluate';

export interface ModelHeader {
  readonly format: 'recomart-als/1';
  readonly params: AlsParams;
  readonly users: number;
  readonly items: number;
  readonly globalMean: number;
  /** Float32 offsets (in values, not bytes) inside model.bin. */
  readonly layout: { userFactors: number; itemFactors: number; userBias: number; itemBias: number; length: number };
}

export function writeModel(
  dir: string,
  model: AlsModel,
  userIds: readonly string[],
  itemIds: readonly string[],
): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const k = model.params.rank;
  const layout = {
    userFactors: 0,
    itemFactors: model.users * k,
    userBias: model.users * k + model.items * k,
    itemBias: model.users * k + model.items * k + model.users,
    length: model.users * k + model.items * k + model.users + model.items,
  };
  const all = new Float32Array(layout.length);
  all.set(model.userFactors, layout.userFactors);
  all.set(model.itemFactors, layout.itemFactors);
  all.set(model.userBias, layout.userBias);
  all.set(model.itemBias, layout.itemBias);
  const bytes = Buffer.from(all.buffer, all.byteOffset, all.byteLength);
  if (!isLittleEndian()) throw new Error('model.bin is little-endian; this machine is not');
  const header: ModelHeader = {
    format: 'recomart-als/1',
    params: model.params,
    users: model.users,
    items: model.items,
    globalMean: model.globalMean,
    layout,
  };
  const files = {
    'model.bin': bytes,
    'model.json': `${JSON.stringify(header, null, 2)}\n`,
    'user_ids.json': JSON.stringify(userIds),
    'item_ids.json': JSON.stringify(itemIds),
  };
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return Object.keys(files).map((f) => path.join(dir, f));
}

export interface LoadedModel {
  readonly header: ModelHeader;
  readonly userIndex: Map<string, number>;
  readonly itemIds: string[];
  readonly values: Float32Array;
}

export function loadModel(dir: string): LoadedModel {
  const header = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as ModelHeader;
  if (header.format !== 'recomart-als/1') throw new Error(`${dir} does not hold a recomart ALS model`);
  const bin = fs.readFileSync(path.join(dir, 'model.bin'));
  const values = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  if (values.length !== header.layout.length)
    throw new Error(`${dir}/model.bin has ${values.length} values, model.json says ${header.layout.length}`);
  const userIds = JSON.parse(fs.readFileSync(path.join(dir, 'user_ids.json'), 'utf8')) as string[];
  const itemIds = JSON.parse(fs.readFileSync(path.join(dir, 'item_ids.json'), 'utf8')) as string[];
  return { header, userIndex: new Map(userIds.map((id, i) => [id, i])), itemIds, values };
}

/** Top-n item ids for a user, best first, skipping `exclude`; undefined for an unknown user (cold start). */
export function recommendFor(
  model: LoadedModel,
  userId: string,
  n: number,
  exclude: ReadonlySet<string> = new Set(),
): { itemId: string; score: number }[] | undefined {
  const u = model.userIndex.get(userId);
  if (u === undefined) return undefined;
  const { users, items, params, layout } = model.header;
  const k = params.rank;
  const v = model.values;
  const scores = new Float64Array(items);
  for (let i = 0; i < items; i++) {
    if (exclude.has(model.itemIds[i] as string)) {
      scores[i] = Number.NEGATIVE_INFINITY;
      continue;
    }
    let s = params.implicit ? 0 : (v[layout.itemBias + i] as number);
    for (let a = 0; a < k; a++)
      s += (v[layout.userFactors + u * k + a] as number) * (v[layout.itemFactors + i * k + a] as number);
    scores[i] = s;
  }
  void users;
  return topK(scores, n).map((i) => ({
    itemId: model.itemIds[i] as string,
    score: Number((scores[i] as number).toFixed(5)),
  }));
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}
