/** A valid clickstream view event at `timestamp`, with optional overrides. */
export function clickEvent(timestamp: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventId: '3f1f8a4e-2b7c-4d1e-9a3b-5c6d7e8f9a0b',
    eventType: 'view',
    userId: 'u1',
    sessionId: 's1',
    productId: 'p1',
    timestamp,
    ...extra,
  };
}
