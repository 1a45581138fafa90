/**
 * A seeded synthetic RecoMart dataset (`recomart generate`, `npm start`, benchmarks): a catalog with
 * categories, brands and prices; customers with regions and segments; transactions over N days whose
 * products follow a popularity (Zipf) skew and whose ratings lean on a hidden per-product quality and
 * per-customer taste, so a recommender has signal to find; and clickstream sessions of the same users
 * and products. The same seed gives the same bytes everywhere. Everything is produced line by line.
 */
import { TRANSACTION_COLUMNS } from '../transactions/schema';
import { toCsvLine } from '../util/csv-write';
import { Rng, zipfSampler } from '../util/random';

export interface DatasetOptions {
  readonly users?: number;
  readonly products?: number;
  readonly days?: number;
  readonly transactions?: number;
  readonly seed?: number;
  /** Share of transaction rows that cannot be placed (missing/bad timestamp, wrong column count). @default 0.01 */
  readonly badShare?: number;
  readonly now?: Date;
}

const CATEGORIES = [
  'shoes',
  'kitchen',
  'home',
  'outdoor',
  'electronics',
  'books',
  'toys',
  'beauty',
  'sports',
  'garden',
];
const BRANDS = [
  'Acme',
  'Brewco',
  'Lux',
  'Northwind',
  'Contoso',
  'Fabrikam',
  'Globex',
  'Initech',
  'Umbrella',
  'Vandelay',
];
const ADJECTIVES = ['Classic', 'Compact', 'Deluxe', 'Everyday', 'Pro', 'Smart', 'Travel', 'Ultra', 'Eco', 'Mini'];
const NOUNS: Record<string, string[]> = {
  shoes: ['Trail Shoe', 'Sneaker', 'Boot', 'Sandal'],
  kitchen: ['Kettle', 'Pan', 'Knife Set', 'Grinder'],
  home: ['Lamp', 'Blanket', 'Vase', 'Clock'],
  outdoor: ['Tent', 'Backpack', 'Lantern', 'Hammock'],
  electronics: ['Headphones', 'Charger', 'Speaker', 'Keyboard'],
  books: ['Cookbook', 'Novel', 'Atlas', 'Guide'],
  toys: ['Puzzle', 'Robot Kit', 'Board Game', 'Kite'],
  beauty: ['Serum', 'Brush Set', 'Lotion', 'Mirror'],
  sports: ['Yoga Mat', 'Dumbbell', 'Racket', 'Bottle'],
  garden: ['Trowel', 'Planter', 'Hose', 'Seed Kit'],
};
const REGIONS = ['eu-west', 'eu-central', 'us-east', 'us-west', 'apac'];
const SEGMENTS = ['new', 'occasional', 'loyal', 'vip'];

export const productId = (n: number) => `p${String(n).padStart(5, '0')}`;
export const userId = (n: number) => `u${String(n).padStart(5, '0')}`;

interface Product {
  readonly id: string;
  readonly category: number;
  readonly price: number;
  readonly quality: number;
}

export class SyntheticDataset {
  readonly users: number;
  readonly products: number;
  readonly days: number;
  private readonly seed: number;
  private readonly now: number;
  private readonly catalog: Product[];
  /** Each customer's two favourite categories: purchases and browsing sessions both lean on them. */
  private readonly taste: number[][];

  constructor(private readonly options: DatasetOptions = {}) {
    this.users = options.users ?? 500;
    this.products = options.products ?? 300;
    this.days = options.days ?? 30;
    this.seed = options.seed ?? 42;
    this.now = (options.now ?? new Date()).getTime();
    const rng = new Rng(this.seed * 7 + 1);
    this.catalog = Array.from({ length: this.products }, (_, i) => {
      const category = rng.int(CATEGORIES.length);
      const price = Math.round(Math.exp(2 + rng.next() * 3.2) * 100) / 100; // ~7 to ~180
      return { id: productId(i + 1), category, price, quality: rng.next() * 2 - 1 };
    });
    const tasteRng = new Rng(this.seed * 7 + 5);
    this.taste = Array.from({ length: this.users }, () => [
      tasteRng.int(CATEGORIES.length),
      tasteRng.int(CATEGORIES.length),
    ]);
  }

  /**
   * Products for the clickstream simulator (layers/clickstream/simulate.ts), one sampler per session:
   * a session mostly browses one category (a favourite of the customer three times in four), its
   * products skewed to the popular ones, with an occasional detour to the store's bestsellers.
   */
  sessionProducts(): (user: number, rng: Rng) => () => number {
    const byCategory: number[][] = CATEGORIES.map(() => []);
    // Catalog order is popularity order (the transactions' Zipf sampler ranks by index).
    this.catalog.forEach((p, i) => {
      byCategory[p.category]?.push(i);
    });
    return (user, rng) => {
      const liked = this.taste[user % this.users] as number[];
      const category = rng.chance(0.75) ? (rng.pick(liked) as number) : rng.int(CATEGORIES.length);
      const list = byCategory[category] as number[];
      const inCategory = zipfSampler(rng, Math.max(1, list.length));
      const bestseller = zipfSampler(rng, this.products);
      return () => (list.length > 0 && rng.chance(0.85) ? (list[inCategory()] as number) : bestseller());
    };
  }

  *catalogLines(): Generator<string> {
    const rng = new Rng(this.seed * 7 + 2);
    yield 'product_id,title,category,brand,price,created_at';
    for (const p of this.catalog) {
      const category = CATEGORIES[p.category] as string;
      const title = `${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS[category] as string[])}`;
      const created = new Date(this.now - (400 + rng.int(700)) * 86_400_000).toISOString().slice(0, 10);
      yield toCsvLine([p.id, title, category, rng.pick(BRANDS), p.price.toFixed(2), created]);
    }
  }

  *customerLines(): Generator<string> {
    const rng = new Rng(this.seed * 7 + 3);
    yield 'customer_id,signup_date,region,segment';
    for (let u = 1; u <= this.users; u++) {
      const signup = new Date(this.now - (this.days + rng.int(700)) * 86_400_000).toISOString().slice(0, 10);
      yield toCsvLine([userId(u), signup, rng.pick(REGIONS), rng.pick(SEGMENTS)]);
    }
  }

  /** Header, then one line per transaction; `stats` counts the rows meant to be unplaceable. */
  *transactionLines(stats: { bad: number } = { bad: 0 }): Generator<string> {
    const rng = new Rng(this.seed * 7 + 4);
    const popular = zipfSampler(rng, this.products);
    const active = zipfSampler(rng, this.users, 0.6);
    // Each customer prefers two categories: a recommender should learn that.
    const taste = this.taste;
    const spanMs = this.days * 86_400_000;
    const count = this.options.transactions ?? this.users * 8;
    yield TRANSACTION_COLUMNS.join(',');
    for (let i = 0; i < count; i++) {
      const u = active();
      const liked = taste[u] as number[];
      // Two thirds of purchases come from the customer's favourite categories.
      let p = this.catalog[popular()] as Product;
      if (rng.chance(0.66)) {
        for (let tries = 0; tries < 8 && !liked.includes(p.category); tries++) p = this.catalog[popular()] as Product;
      }
      const at = this.now - rng.int(spanMs);
      const affinity = liked.includes(p.category) ? 0.8 : -0.4;
      const score = 3 + 1.2 * p.quality + affinity + (rng.next() - 0.5) * 1.5;
      const rating = Math.max(1, Math.min(5, Math.round(score)));
      const fields = [
        `t${String(i + 1).padStart(9, '0')}`,
        userId(u + 1),
        p.id,
        String(1 + (rng.chance(0.8) ? 0 : rng.int(3))),
        (p.price * (rng.chance(0.2) ? 0.9 : 1)).toFixed(2),
        rng.chance(0.7) ? String(rating) : '',
        rng.chance(0.5) ? new Date(at).toISOString() : String(Math.floor(at / 1000)),
      ];
      if (rng.chance(this.options.badShare ?? 0.01)) {
        stats.bad++;
        const kind = rng.int(3);
        if (kind === 0) fields[6] = '';
        else if (kind === 1) fields[6] = 'last tuesday';
        else fields.pop();
      }
      yield toCsvLine(fields);
    }
  }
}
