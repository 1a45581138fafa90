import { Rng, zipfSampler } from '../util/random';
import type { ClickEvent } from './schema';

export interface SimulationOptions {
  readonly count: number;
  readonly users?: number;
  readonly products?: number;
  /** Share of records that are deliberately malformed (bad JSON, missing fields, bad values). @default 0.01 */
  readonly malformedShare?: number;
  readonly seed?: number;
  /** User ids are `<prefix><5 digits>`. @default 'u' */
  readonly userPrefix?: string;
  /** Sessions start within this many hours before `now`. @default 24 */
  readonly hours?: number;
  readonly now?: Date;
  /**
   * A product sampler for one session of user `user` (0-based; product indexes 0-based). Default:
   * every product by store-wide popularity, whoever the user.
   */
  readonly sessionProducts?: (user: number, rng: Rng) => () => number;
}

export interface SimulatedRecord {
  readonly partitionKey: string;
  readonly data: Buffer;
  readonly valid: boolean;
}

const PAGES = ['/', '/search', '/category', '/product', '/cart', '/checkout'];
const DEVICES = ['web', 'ios', 'android'];
const TERMS = ['shoes', 'headphones', 'coffee', 'lamp', 'backpack', 'kettle', 'jacket', 'charger'];

/**
 * Realistic shopping sessions: a user browses popular-skewed products (following the user's tastes
 * when `sessionProducts` knows them), sometimes searches, adds to cart, and sometimes buys. A configurable share of records is malformed in varied ways.
 */
export function* simulateClickstream(options: SimulationOptions): Generator<SimulatedRecord> {
  const rng = new Rng(options.seed ?? 42);
  const users = options.users ?? 500;
  const products = options.products ?? 300;
  const malformed = options.malformedShare ?? 0.01;
  const now = (options.now ?? new Date()).getTime();
  const spanMs = (options.hours ?? 24) * 3_600_000;
  const popularProduct = zipfSampler(rng, products);
  const activeUser = zipfSampler(rng, users, 0.8);
  let emitted = 0;
  while (emitted < options.count) {
    const user = activeUser();
    const userId = `${options.userPrefix ?? 'u'}${String(user + 1).padStart(5, '0')}`;
    const nextProduct = options.sessionProducts ? options.sessionProducts(user, rng) : popularProduct;
    const sessionId = rng.uuid();
    const device = rng.pick(DEVICES);
    // Sessions start in stream order across the span (a user's sessions follow one another, as in
    // life), with a little jitter so neighbouring sessions interleave.
    let t = now - spanMs + Math.floor((spanMs * emitted) / options.count) + rng.int(Math.min(spanMs, 600_000));
    const cart: string[] = [];
    const steps = 2 + rng.int(12);
    for (let i = 0; i < steps && emitted < options.count; i++) {
      t += 3_000 + rng.int(90_000);
      let event: ClickEvent;
      const roll = rng.next();
      const productId = `p${String(nextProduct() + 1).padStart(5, '0')}`;
      const base = {
        eventId: rng.uuid(),
        userId,
        sessionId,
        timestamp: new Date(Math.min(t, now)).toISOString(),
        device,
      };
      if (roll < 0.1) {
        event = { ...base, eventType: 'search', searchTerm: rng.pick(TERMS), page: '/search' };
      } else if (roll < 0.55) {
        event = { ...base, eventType: 'view', productId, page: '/product', referrer: rng.pick(PAGES) };
      } else if (roll < 0.75) {
        event = { ...base, eventType: 'click', productId, page: rng.pick(PAGES) };
      } else if (roll < 0.9) {
        cart.push(productId);
        event = { ...base, eventType: 'add_to_cart', productId, page: '/product' };
      } else if (roll < 0.94 && cart.length > 0) {
        event = { ...base, eventType: 'remove_from_cart', productId: cart.pop() as string, page: '/cart' };
      } else if (cart.length > 0) {
        event = { ...base, eventType: 'purchase', productId: cart.shift() as string, page: '/checkout' };
      } else {
        event = { ...base, eventType: 'view', productId, page: '/product' };
      }
      emitted++;
      if (rng.chance(malformed)) {
        yield { partitionKey: userId, data: Buffer.from(corrupt(rng, event)), valid: false };
      } else {
        yield { partitionKey: userId, data: Buffer.from(JSON.stringify(event)), valid: true };
      }
    }
  }
}

function corrupt(rng: Rng, event: ClickEvent): string {
  switch (rng.int(5)) {
    case 0:
      return JSON.stringify(event).slice(0, 20); // truncated JSON
    case 1:
      return JSON.stringify({ ...event, eventType: 'teleport' });
    case 2:
      return JSON.stringify({ ...event, timestamp: 'yesterday-ish' });
    case 3: {
      const { userId: _drop, ...rest } = event;
      return JSON.stringify(rest);
    }
    default:
      return '\u0000\u00ff not json at all';
  }
}
