/**
 * A stand-in for the external product metadata REST API, for the local cloud, `npm start` and the
 * tests. `GET /v1/products?pageSize=&pageToken=` with an `x-api-key` header returns seeded metadata
 * for products p00001..pNNNNN. It can be told (in code or over `POST /_control`) to fail the next N
 * requests, stall, or answer with malformed JSON, and it counts what it served (`GET /_stats`).
 */
import type * as http from 'node:http';
import { Rng } from '../layers/util/random';
import { LoopbackServer } from './loopback-server';

export interface MockBehaviour {
  /** The next N product requests answer 503. */
  failNext?: number;
  /** The next N product requests never answer (until the client gives up). */
  stallNext?: number;
  /** The next N product requests answer 200 with a body that is not JSON. */
  malformedNext?: number;
}

export interface MockStats {
  requests: number;
  served: number;
  failed: number;
  stalled: number;
  malformed: number;
  unauthorized: number;
}

export interface MockMetadataApiOptions {
  readonly products?: number;
  readonly seed?: number;
  /** Required key; undefined accepts any. */
  apiKey?: string;
  readonly port?: number;
}

const TAGS = ['eco', 'bestseller', 'new', 'gift', 'premium', 'budget', 'limited', 'bundle'];

export class MockMetadataApi {
  private readonly server = new LoopbackServer((req, res) => this.handle(req, res));
  private readonly behaviour: Required<MockBehaviour> = { failNext: 0, stallNext: 0, malformedNext: 0 };
  readonly stats: MockStats = { requests: 0, served: 0, failed: 0, stalled: 0, malformed: 0, unauthorized: 0 };
  url = '';

  constructor(private readonly options: MockMetadataApiOptions = {}) {}

  set apiKey(key: string | undefined) {
    this.options.apiKey = key;
  }

  behave(next: MockBehaviour): void {
    Object.assign(this.behaviour, next);
  }

  async start(): Promise<string> {
    this.url = await this.server.start(this.options.port ?? 0);
    return this.url;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  /** The seeded metadata of product number `n` (1-based). */
  product(n: number) {
    const rng = new Rng((this.options.seed ?? 17) * 1_000_003 + n);
    const average = Math.round((1 + rng.next() * 4) * 100) / 100;
    const score = Math.round(((average - 3) / 2) * 100) / 100;
    return {
      productId: `p${String(n).padStart(5, '0')}`,
      externalRating: { average, count: rng.int(5000) },
      popularity: {
        views7d: Math.round(20_000 / n + rng.int(200)),
        trend: Math.round((rng.next() * 2 - 1) * 100) / 100,
      },
      sentiment: { score, label: score > 0.2 ? 'positive' : score < -0.2 ? 'negative' : 'neutral' },
      tags: TAGS.filter(() => rng.chance(0.25)),
      updatedAt: new Date(Date.UTC(2026, 10, 1) + rng.int(20 * 86_400_000)).toISOString(),
    };
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://local');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/_stats') {
      json(200, this.stats);
      return;
    }
    if (url.pathname === '/_control' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          this.behave(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as MockBehaviour);
          json(200, this.behaviour);
        } catch {
          json(400, { message: 'control body must be JSON' });
        }
      });
      return;
    }
    if (url.pathname !== '/v1/products' || req.method !== 'GET') {
      json(404, { message: 'not found' });
      return;
    }
    this.stats.requests++;
    if (this.options.apiKey !== undefined && req.headers['x-api-key'] !== this.options.apiKey) {
      this.stats.unauthorized++;
      json(401, { message: 'missing or wrong x-api-key' });
      return;
    }
    if (this.behaviour.stallNext > 0) {
      this.behaviour.stallNext--;
      this.stats.stalled++;
      return; // never answer; the client's timeout ends it (and stop() closes the socket)
    }
    if (this.behaviour.failNext > 0) {
      this.behaviour.failNext--;
      this.stats.failed++;
      json(503, { message: 'injected failure' });
      return;
    }
    if (this.behaviour.malformedNext > 0) {
      this.behaviour.malformedNext--;
      this.stats.malformed++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"items": [ {"productId": "p00001", "externalRating": ');
      return;
    }
    const total = this.options.products ?? 300;
    const pageSize = Math.max(1, Math.min(1000, Number(url.searchParams.get('pageSize') ?? 100) || 100));
    const start = Number(url.searchParams.get('pageToken') ?? 0) || 0;
    const end = Math.min(total, start + pageSize);
    const items = [];
    for (let n = start + 1; n <= end; n++) items.push(this.product(n));
    this.stats.served++;
    json(200, { items, nextPageToken: end < total ? String(end) : null });
  }
}
