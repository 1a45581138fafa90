/**
 * The local console: the Step Functions console, the lake, quality reports, the model registry and
 * the serving path, in a browser, served by `recomart local up` on the gateway endpoint under
 * `/console`. Pages are rendered on the server from the same AWS APIs any client of the stack uses,
 * through the gateway (README, "Local console").
 */
import type * as http from 'node:http';
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { isMissingObject } from '../../layers/lake/s3-io';
import { type ConsoleContext, consoleContext } from './context';
import { esc, page } from './html';
import { lakePage, objectPage } from './lake';
import { comparePage, modelPage, modelsPage } from './models';
import { executionPage, pipelinePage, startExecution } from './pipeline';
import { qualityPage } from './quality';
import { servingPage } from './serving';

export const CONSOLE_PATH = '/console';

export interface LocalConsole {
  readonly handler: http.RequestListener;
  close(): void;
}

function send(res: http.ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(html);
}

function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1024 * 1024) req.destroy(new Error('the form is larger than 1 MiB'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

async function download(ctx: ConsoleContext, key: string, res: http.ServerResponse): Promise<void> {
  try {
    const out = await ctx.s3.send(new GetObjectCommand({ Bucket: ctx.bucket, Key: key }));
    res.writeHead(200, {
      'content-type': out.ContentType ?? 'application/octet-stream',
      ...(out.ContentLength !== undefined ? { 'content-length': String(out.ContentLength) } : {}),
      'cache-control': 'no-store',
    });
    (out.Body as Readable).pipe(res);
  } catch (err) {
    if (!isMissingObject(err)) throw err;
    send(res, 404, page('lake', 'Not found', `<p class="error">No object ${esc(key)}.</p>`));
  }
}

async function route(ctx: ConsoleContext, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://console');
  const q = (name: string) => url.searchParams.get(name) ?? undefined;
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (req.method === 'POST' && path === '/console/pipeline/start') {
    const form = await readForm(req);
    const input = form.get('input') ?? '';
    const started = await startExecution(ctx, input);
    if (started.arn) {
      res.writeHead(303, { location: `/console/pipeline/execution?arn=${encodeURIComponent(started.arn)}` });
      res.end();
      return;
    }
    send(res, 400, await pipelinePage(ctx, { input, problem: started.problem }));
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, page('pipeline', 'Method not allowed', ''), { allow: 'GET, HEAD, POST' });
    return;
  }
  switch (path) {
    case '/console':
      res.writeHead(302, { location: '/console/pipeline' });
      res.end();
      return;
    case '/console/pipeline':
      return send(res, 200, await pipelinePage(ctx));
    case '/console/pipeline/execution':
      return send(res, 200, await executionPage(ctx, q('arn') ?? ''));
    case '/console/lake':
      return send(res, 200, await lakePage(ctx, q('prefix') ?? ''));
    case '/console/lake/object':
      return send(res, 200, await objectPage(ctx, q('key') ?? ''));
    case '/console/lake/download':
      return download(ctx, q('key') ?? '', res);
    case '/console/quality':
      return send(res, 200, await qualityPage(ctx, q('dataset')));
    case '/console/models':
      return send(res, 200, await modelsPage(ctx));
    case '/console/models/run':
      return send(res, 200, await modelPage(ctx, q('id') ?? ''));
    case '/console/models/compare':
      return send(res, 200, await comparePage(ctx, q('a') ?? '', q('b') ?? ''));
    case '/console/serving': {
      const k = Math.min(100, Math.max(1, Number(q('k') ?? 10) || 10));
      return send(res, 200, await servingPage(ctx, q('user')?.trim() || undefined, k));
    }
    default:
      send(res, 404, page('pipeline', 'Not found', `<p>No page ${esc(path)}.</p>`));
  }
}

/** The console over a running stack: `env` is the SDK environment (endpoint, region, credentials). */
export function createConsole(
  env: Readonly<Record<string, string | undefined>>,
  outputs: Readonly<Record<string, string>>,
): LocalConsole {
  const ctx = consoleContext(env, outputs);
  return {
    handler: (req, res) => {
      route(ctx, req, res).catch((err: Error) => {
        if (res.headersSent) {
          res.destroy(err);
          return;
        }
        const name = (err as { name?: string }).name ?? 'Error';
        send(
          res,
          500,
          page('pipeline', 'Something went wrong', `<p class="error">${esc(name)}: ${esc(err.message)}</p>`),
        );
      });
    },
    close: () => {
      ctx.s3.destroy();
      ctx.sfn.destroy();
      ctx.doc.destroy();
    },
  };
}
