import type { Recommendation } from './serving';

export interface ServedItem extends Recommendation {
  readonly source: 'model' | 'recently_viewed';
}

/**
 * Blend the live session into the model's list: up to a third of the slots (every third position)
 * go to products the user viewed recently and that the list does not already hold, newest first, so
 * what the user is looking at now stays in reach. Pure.
 */
export function blendRecentlyViewed(
  model: readonly Recommendation[],
  recentlyViewed: readonly { productId: string }[],
  k: number,
): ServedItem[] {
  const inList = new Set(model.map((m) => m.itemId));
  const recent = recentlyViewed
    .map((v) => v.productId)
    .filter((id, i, all) => !inList.has(id) && all.indexOf(id) === i);
  const out: ServedItem[] = [];
  let m = 0;
  let r = 0;
  while (out.length < k && (m < model.length || r < recent.length)) {
    const slotForRecent = (out.length + 1) % 3 === 0;
    if ((slotForRecent && r < recent.length) || m >= model.length) {
      out.push({ itemId: recent[r++] as string, score: 0, source: 'recently_viewed' });
    } else {
      out.push({ ...(model[m++] as Recommendation), source: 'model' });
    }
  }
  return out;
}
