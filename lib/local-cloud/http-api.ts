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
  /** `AWS_IAM` when callers must sign (SigV4), else `NONE`. */
  readonly authorizationType: string;
}

/** Routes of every HTTP API in the template. */
export function httpRoutes(resolver: TemplateResolver): HttpRoute[] {
  const routes: HttpRoute[] = [];
  for (const [, r] of resolver.resourcesOfType('AWS::ApiGatewayV2::Route')) {
    const props = resolver.resolve(r.Properties ?? {}) as {
      ApiId: string;
      RouteKey: string;
      Target?: string;
      AuthorizationType?: string;
    };
    const authorizationType = props.AuthorizationType ?? 'NONE';
    if (authorizationType !== 'NONE' && authorizationType !== 'AWS_IAM')
      throw new Error(
        `HTTP API route ${props.RouteKey} uses ${authorizationType} authorization, which the local cloud does not emulate`,
      );
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
    routes.push({
      apiId: props.ApiId,
      method,
      routeKey: props.RouteKey,
      pattern,
      params,
      functionArn: uri,
      authorizationType,
    });
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
    if (route.authorizationType === 'AWS_IAM' && !isSigV4Signed(request.headers))
      return { statusCode: 403, headers: { 'content-type': 'application/json' }, body: '{"message":"Forbidden"}' };
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

/**
 * IAM authorization, as far as the local cloud can check it: the request carries a SigV4
 * `Authorization` for `execute-api` and an `X-Amz-Date` within 15 minutes. Any credentials are accepted
 * (there are no IAM users locally), so the signature itself is not verified.
 */
export function isSigV4Signed(headers: Record<string, string>, now = Date.now()): boolean {
  const auth = headers.authorization ?? headers.Authorization ?? '';
  if (
    !/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[^/]+\/execute-api\/aws4_request, ?SignedHeaders=[^,]+, ?Signature=[0-9a-f]{64}$/.test(
      auth,
    )
  )
    return false;
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(headers['x-amz-date'] ?? '');
  if (!date) return false;
  const at = Date.UTC(
    Number(date[1]),
    Number(date[2]) - 1,
    Number(date[3]),
    Number(date[4]),
    Number(date[5]),
    Number(date[6]),
  );
  return Math.abs(now - at) <= 15 * 60_000;
}
