/**
 * API Gateway HTTP APIs (v2) on the local cloud: routes and Lambda proxy integrations read from the
 * template, requests turned into payload-format-2.0 events, and the function's result into the HTTP
 * response, as API Gateway does.
 */
import { randomUUID } from 'node:crypto';
import type { InvokeResult } from './lambda-runtime';
import type { TemplateResolver } from './template';

export interface HttpRoute {
  readonly apiId: string;
  readonly method: string;
  readonly routeKey: string;
  readonly pattern: RegExp;
  readonly params: string[];
  readonly functionArn: string;
}

/** Routes of every HTTP API in the template. */
export function httpRoutes(resolver: TemplateResolver): HttpRoute[] {
  const routes: HttpRoute[] = [];
  for (const [, r] of resolver.resourcesOfType('AWS::ApiGatewayV2::Route')) {
    const props = resolver.resolve(r.Properties ?? {}) as { ApiId: string; RouteKey: string; Target?: string };
    const [method = 'ANY', routePath = '/'] = props.RouteKey.split(' ');
    const integrationRef = (r.Properties?.Target as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.[
      'Fn::Join'
    ]?.[1]?.[1] as { Ref?: string } | undefined;
    const integration = integrationRef?.Ref ? resolver.template.Resources[integrationRef.Ref] : undefined;
    if (!integration) throw new Error(`HTTP API route ${props.RouteKey} has no integration the local cloud can follow`);
    const uri = String(
      (resolver.resolve(integration.Properties ?? {}) as { IntegrationUri?: unknown }).IntegrationUri ?? '',
    );
    const params: string[] = [];
    const pattern = new RegExp(
      `^${routePath.replace(/\{([^}+]+)\+?\}/g, (_m, name: string) => {
        params.push(name);
        return '([^/]+)';
      })}$`,
    );
    routes.push({ apiId: props.ApiId, method, routeKey: props.RouteKey, pattern, params, functionArn: uri });
  }
  return routes;
}

export interface HttpRequest {
  readonly apiId: string;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Serve one request to an HTTP API: 404 without a route, 502 when the function fails, as API Gateway does. */
export async function serveHttpApi(
  routes: readonly HttpRoute[],
  invoke: (functionArn: string, event: unknown) => Promise<InvokeResult>,
  request: HttpRequest,
): Promise<HttpResponse> {
  for (const route of routes) {
    if (route.apiId !== request.apiId || (route.method !== 'ANY' && route.method !== request.method)) continue;
    const match = route.pattern.exec(request.path);
    if (!match) continue;
    const pathParameters = Object.fromEntries(route.params.map((p, i) => [p, decodeURIComponent(match[i + 1] ?? '')]));
    const queryStringParameters = Object.fromEntries(new URLSearchParams(request.query));
    const now = new Date();
    const event = {
      version: '2.0',
      routeKey: route.routeKey,
      rawPath: request.path,
      rawQueryString: request.query,
      headers: request.headers,
      ...(Object.keys(queryStringParameters).length ? { queryStringParameters } : {}),
      ...(route.params.length ? { pathParameters } : {}),
      requestContext: {
        accountId: '000000000000',
        apiId: request.apiId,
        domainName: 'localhost',
        http: {
          method: request.method,
          path: request.path,
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: request.headers['user-agent'] ?? '',
        },
        requestId: randomUUID(),
        routeKey: route.routeKey,
        stage: '$default',
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
      },
      body: request.body || undefined,
      isBase64Encoded: false,
    };
    const result = await invoke(route.functionArn, event);
    if (!result.ok)
      return {
        statusCode: 502,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'Internal Server Error' }),
      };
    const out = result.payload as
      | { statusCode?: number; headers?: Record<string, string>; body?: string }
      | string
      | null;
    if (out && typeof out === 'object' && typeof out.statusCode === 'number') {
      return { statusCode: out.statusCode, headers: out.headers ?? {}, body: out.body ?? '' };
    }
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(out) };
  }
  return {
    statusCode: 404,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: 'Not Found' }),
  };
}
