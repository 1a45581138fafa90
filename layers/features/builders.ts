/**
 * Batch feature builders (README, "Feature store"), pure and streaming: transactions and click events are added one at
 * a time; memory grows with users, items and (user, item) pairs, not with rows.
 */
import { z } from 'zod';
import type { ClickEvent, EventType } from '../clickstream/schema';
import { parseTransactionTime } from '../transactions/schema';

/** Implicit-confidence weight of each kind of interaction (stage config, or a run's input document). */
export const ImplicitWeightsSchema = z.strictObject({
  view: z.number().min(0),
  click: z.number().min(0),
  add_to_cart: z.number().min(0),
  purchase: z.number().min(0),
});
export type ImplicitWeights = Readonly<z.infer<typeof ImplicitWeightsSchema>>;

export const DEFAULT_WEIGHTS: ImplicitWeights = { view: 1, click: 2, add_to_cart: 4, purchase: 8 };

export interface ItemContext {
  readonly category?: string;
  readonly externalPopularity?: number;
  readonly externalTrend?: number;
  readonly sentimentScore?: number;
  readonly sentimentLabel?: string;
}

export interface TransactionInput {
  readonly customerId: string;
  readonly productId: string;
  readonly quantity: number;
  readonly unitPrice: number;
  readonly rating?: number;
  readonly epochMs: number;
}

type Counts = Record<EventType, number>;
const zeroCounts = (): Counts => ({ view: 0, click: 0, add_to_cart: 0, remove_from_cart: 0, search: 0, purchase: 0 });

interface UserAcc {
  events: Counts;
  purchases: number;
  spend: number;
  ratingSum: number;
  ratingCount: number;
  lastActivity: number;
  categories: Map<string, number>;
}

interface PairAcc {
  /** Epoch ms of the latest interaction. */
  lastAt: number;
  ratingSum: number;
  ratingCount: number;
  views: number;
  clicks: number;
  carts: number;
  purchaseEvents: number;
  transactions: number;
}

/** The feature sets and their names in the lake (`features/<set>/v=<version>/`) and the catalog. */
export const FEATURE_SETS = { users: 'user_features', items: 'item_features', interactions: 'interactions' } as const;

const count = () => z.number().int();
const EventCountsSchema = z.strictObject({
  view: count(),
  click: count(),
  add_to_cart: count(),
  remove_from_cart: count(),
  search: count(),
  purchase: count(),
});

/** A user's batch features: the offline record (JSON Lines) and, without userId and lastActivity, the online item. */
export const UserFeaturesSchema = z.strictObject({
  userId: z.string(),
  eventCounts: EventCountsSchema,
  purchaseCount: count(),
  totalSpend: z.number(),
  avgRatingGiven: z.number().nullable(),
  recencyDays: z.number(),
  topCategories: z.array(z.string()),
  sessions: count(),
  avgSessionMinutes: z.number().nullable(),
  lastActivity: z.string(),
});
export type UserFeatures = Readonly<z.infer<typeof UserFeaturesSchema>>;

export const ItemFeaturesSchema = z.strictObject({
  itemId: z.string(),
  category: z.string().nullable(),
  /** Distinct users who interacted with the item in any way. */
  popularity: count(),
  ratingCount: count(),
  ratingMean: z.number().nullable(),
  views: count(),
  purchases: count(),
  /** Distinct buyers / distinct viewers; null when nobody viewed it. */
  viewToPurchase: z.number().nullable(),
  externalPopularity: z.number().nullable(),
  externalTrend: z.number().nullable(),
  sentimentScore: z.number().nullable(),
  sentimentLabel: z.string().nullable(),
});
export type ItemFeatures = Readonly<z.infer<typeof ItemFeaturesSchema>>;

export const InteractionSchema = z.strictObject({
  userId: z.string(),
  itemId: z.string(),
  /** Mean explicit rating, when the user rated the item. */
  rating: z.number().nullable(),
  /** Implicit confidence: weighted views, clicks, add-to-carts and purchases. */
  confidence: z.number(),
  /** When the user last interacted with the item (ISO 8601): training holds out each user's latest. */
  lastAt: z.string(),
});
export type Interaction = Readonly<z.infer<typeof InteractionSchema>>;

const round = (n: number, digits = 4) => Number(n.toFixed(digits));

/** A raw transactions row (by column name) as a builder input, or undefined when it cannot count. */
export function transactionInput(row: Readonly<Record<string, string | undefined>>): TransactionInput | undefined {
  const epochMs = parseTransactionTime(row.timestamp ?? '');
  const quantity = Number(row.quantity);
  const unitPrice = Number(row.unit_price);
  const rating = row.rating?.trim() ? Number(row.rating) : undefined;
  if (
    !row.customer_id ||
    !row.product_id ||
    !Number.isFinite(epochMs) ||
    !(quantity >= 1) ||
    !(unitPrice >= 0) ||
    (rating !== undefined && !(rating >= 1 && rating <= 5))
  )
    return undefined;
  return {
    customerId: row.customer_id,
    productId: row.product_id,
    quantity,
    unitPrice,
    ...(rating !== undefined ? { rating } : {}),
    epochMs,
  };
}

/** A catalog row's category into the items' context (a later row of the same product wins). */
export function addCatalogRow(
  items: Map<string, ItemContext>,
  row: Readonly<Record<string, string | undefined>>,
): void {
  if (row.product_id) items.set(row.product_id, { ...items.get(row.product_id), category: row.category });
}

/** An external metadata row's popularity, trend and sentiment into the items' context. */
export function addMetadataRow(
  items: Map<string, ItemContext>,
  row: Readonly<Record<string, string | undefined>>,
): void {
  if (!row.product_id) return;
  items.set(row.product_id, {
    ...items.get(row.product_id),
    externalPopularity: Number(row.popularity_views_7d),
    externalTrend: Number(row.popularity_trend),
    sentimentScore: Number(row.sentiment_score),
    ...(row.sentiment_label ? { sentimentLabel: row.sentiment_label } : {}),
  });
}

export class FeatureBuilder {
  private readonly users = new Map<string, UserAcc>();
  private readonly pairs = new Map<string, Map<string, PairAcc>>();
  private readonly sessions = new Map<string, { user: string; first: number; last: number }>();
  transactions = 0;
  events = 0;

  constructor(
    private readonly items: ReadonlyMap<string, ItemContext> = new Map(),
    private readonly weights: ImplicitWeights = DEFAULT_WEIGHTS,
    private readonly now: Date = new Date(),
  ) {}

  addTransaction(t: TransactionInput): void {
    this.transactions++;
    const user = this.user(t.customerId);
    user.purchases++;
    user.spend += t.quantity * t.unitPrice;
    if (t.rating !== undefined) {
      user.ratingSum += t.rating;
      user.ratingCount++;
    }
    user.lastActivity = Math.max(user.lastActivity, t.epochMs);
    this.noteCategory(user, t.productId);
    const pair = this.pair(t.customerId, t.productId);
    pair.lastAt = Math.max(pair.lastAt, t.epochMs);
    pair.transactions++;
    if (t.rating !== undefined) {
      pair.ratingSum += t.rating;
      pair.ratingCount++;
    }
  }

  addEvent(e: ClickEvent): void {
    this.events++;
    const at = Date.parse(e.timestamp);
    const user = this.user(e.userId);
    user.events[e.eventType]++;
    user.lastActivity = Math.max(user.lastActivity, at);
    const session = this.sessions.get(e.sessionId);
    if (session) {
      session.first = Math.min(session.first, at);
      session.last = Math.max(session.last, at);
    } else this.sessions.set(e.sessionId, { user: e.userId, first: at, last: at });
    if (e.productId === undefined) return;
    if (e.eventType !== 'remove_from_cart') this.noteCategory(user, e.productId);
    const pair = this.pair(e.userId, e.productId);
    pair.lastAt = Math.max(pair.lastAt, at);
    if (e.eventType === 'view') pair.views++;
    else if (e.eventType === 'click') pair.clicks++;
    else if (e.eventType === 'add_to_cart') pair.carts++;
    else if (e.eventType === 'purchase') pair.purchaseEvents++;
  }

  *userFeatures(): Generator<UserFeatures> {
    const sessionsOf = new Map<string, { count: number; minutes: number }>();
    for (const s of this.sessions.values()) {
      const acc = sessionsOf.get(s.user) ?? { count: 0, minutes: 0 };
      acc.count++;
      acc.minutes += (s.last - s.first) / 60_000;
      sessionsOf.set(s.user, acc);
    }
    for (const [userId, u] of this.users) {
      const sessions = sessionsOf.get(userId);
      yield {
        userId,
        eventCounts: u.events,
        purchaseCount: u.purchases,
        totalSpend: round(u.spend, 2),
        avgRatingGiven: u.ratingCount > 0 ? round(u.ratingSum / u.ratingCount) : null,
        recencyDays: round(Math.max(0, (this.now.getTime() - u.lastActivity) / 86_400_000), 2),
        topCategories: [...u.categories]
          .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
          .slice(0, 3)
          .map(([c]) => c),
        sessions: sessions?.count ?? 0,
        avgSessionMinutes: sessions ? round(sessions.minutes / sessions.count, 2) : null,
        lastActivity: new Date(u.lastActivity).toISOString(),
      };
    }
  }

  *itemFeatures(): Generator<ItemFeatures> {
    const acc = new Map<
      string,
      {
        users: number;
        ratingSum: number;
        ratingCount: number;
        views: number;
        purchases: number;
        viewers: number;
        buyers: number;
      }
    >();
    for (const byItem of this.pairs.values()) {
      for (const [itemId, p] of byItem) {
        const a = acc.get(itemId) ?? {
          users: 0,
          ratingSum: 0,
          ratingCount: 0,
          views: 0,
          purchases: 0,
          viewers: 0,
          buyers: 0,
        };
        a.users++;
        a.ratingSum += p.ratingSum;
        a.ratingCount += p.ratingCount;
        a.views += p.views;
        a.purchases += p.transactions + p.purchaseEvents;
        if (p.views > 0) a.viewers++;
        if (p.views > 0 && p.transactions + p.purchaseEvents > 0) a.buyers++;
        acc.set(itemId, a);
      }
    }
    for (const [itemId, a] of acc) {
      const ctx = this.items.get(itemId) ?? {};
      yield {
        itemId,
        category: ctx.category ?? null,
        popularity: a.users,
        ratingCount: a.ratingCount,
        ratingMean: a.ratingCount > 0 ? round(a.ratingSum / a.ratingCount) : null,
        views: a.views,
        purchases: a.purchases,
        viewToPurchase: a.viewers > 0 ? round(a.buyers / a.viewers) : null,
        externalPopularity: ctx.externalPopularity ?? null,
        externalTrend: ctx.externalTrend ?? null,
        sentimentScore: ctx.sentimentScore ?? null,
        sentimentLabel: ctx.sentimentLabel ?? null,
      };
    }
  }

  *interactions(): Generator<Interaction> {
    const w = this.weights;
    for (const [userId, byItem] of this.pairs) {
      for (const [itemId, p] of byItem) {
        yield {
          userId,
          itemId,
          rating: p.ratingCount > 0 ? round(p.ratingSum / p.ratingCount) : null,
          confidence: round(
            w.view * p.views +
              w.click * p.clicks +
              w.add_to_cart * p.carts +
              w.purchase * (p.purchaseEvents + p.transactions),
          ),
          lastAt: new Date(p.lastAt).toISOString(),
        };
      }
    }
  }

  private user(id: string): UserAcc {
    let u = this.users.get(id);
    if (!u) {
      u = {
        events: zeroCounts(),
        purchases: 0,
        spend: 0,
        ratingSum: 0,
        ratingCount: 0,
        lastActivity: 0,
        categories: new Map(),
      };
      this.users.set(id, u);
    }
    return u;
  }

  private pair(userId: string, itemId: string): PairAcc {
    let byItem = this.pairs.get(userId);
    if (!byItem) {
      byItem = new Map();
      this.pairs.set(userId, byItem);
    }
    let p = byItem.get(itemId);
    if (!p) {
      p = {
        lastAt: Number.NEGATIVE_INFINITY,
        ratingSum: 0,
        ratingCount: 0,
        views: 0,
        clicks: 0,
        carts: 0,
        purchaseEvents: 0,
        transactions: 0,
      };
      byItem.set(itemId, p);
    }
    return p;
  }

  private noteCategory(user: UserAcc, productId: string): void {
    const category = this.items.get(productId)?.category;
    if (category) user.categories.set(category, (user.categories.get(category) ?? 0) + 1);
  }
}
