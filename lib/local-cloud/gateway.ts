import * as http from 'node:http';
import { LoopbackServer } from '../loopback-server';
import type { EmulatorEndpoints } from './emulators';
import type { HttpRequest, HttpResponse } from './http-api';
import type { AuthzRequest, Denial, Principal } from './iam';
import { type ArnContext, jsonRequests, lambdaRequests, s3Requests } from './iam-requests';
import type { InvokeResult, LocalFunctionSpec } from './lambda-runtime';
import { ApiError, type JsonApi } from './plugins/plugin';

/** Which service a signed request is for: the credential scope names it (`.../us-east-1/s3/aws4_request`). */
export function serviceOf(req: { headers: http.IncomingHttpHeaders; url?: string }): string {
  const auth = String(req.headers.authorization ?? '');
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth);
  if (scope?.[1]) return scope[1];
  const query = /X-Amz-Credential=[^&]*?%2F[^&]*?%2F[^&]*?%2F([^&%]+)%2Faws4_request/i.exec(req.url ?? '');
  if (query?.[1]) return query[1];
  const target = String(req.headers['x-amz-target'] ?? '');
  if (target.startsWith('Kinesis_')) return 'kinesis';
  if (target.startsWith('DynamoDB_')) return 'dynamodb';
  if (target.startsWith('AmazonSQS')) return 'sqs';
  if (target.startsWith('AWSStepFunctions')) return 'states';
  if (target.startsWith('secretsmanager.')) return 'secretsmanager';
  if (target.startsWith('AWSGlue.')) return 'glue';
  if (target.startsWith('AmazonAthena.')) return 'athena';
  if (/^\/2015-03-31\/functions\//.test(req.url ?? '')) return 'lambda';
  return 's3';
}

/**
 * One endpoint for every service, like LocalStack's :4566: requests are routed by the service in
 * their SigV4 credential scope. Headers (Host included) pass through unchanged, so signatures stay valid.
 */
/** The whole request body, then `then` (the local APIs all answer after reading it). */
function readBody(req: http.IncomingMessage, then: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => then(Buffer.concat(chunks)));
}

/** The access key a SigV4-signed request was signed with. */
export function accessKeyOf(req: { headers: http.IncomingHttpHeaders; url?: string }): string | undefined {
  const auth = String(req.headers.authorization ?? '');
  const fromHeader = /Credential=([^/]+)\//.exec(auth)?.[1];
  if (fromHeader) return fromHeader;
  const fromQuery = /X-Amz-Credential=([^&%]+)(?:%2F|\/)/i.exec(req.url ?? '')?.[1];
  return fromQuery;
}

/** IAM on the gateway: who a request comes from, and whether they may make it. */
export interface GatewayIam {
  principalFor(accessKeyId: string | undefined): Principal | undefined;
  check(principal: Principal, requests: readonly AuthzRequest[]): Promise<Denial | undefined>;
  readonly arns: ArnContext;
}

export interface LocalServices {
  /** The JSON API a plugin serves for `service` (Step Functions, Secrets Manager, ...). */
  api(service: string): JsonApi | undefined;
  /** Invoke a function by name or ARN; throws when there is no such function. */
  invoke(functionRef: string, payload: unknown): Promise<InvokeResult>;
  /** An HTTP API request (`/_api/<apiId>/<path>` on the gateway). */
  httpApi(request: HttpRequest): Promise<HttpResponse>;
  /** IAM for calls made with a local role's credentials (functions, tasks). */
  iam(): GatewayIam | undefined;
  /** The stack, for CloudFormation `DescribeStacks` (so tools find resources by the stack's outputs). */
  stack(): { name: string; outputs: Record<string, string>; createdAt: string } | undefined;
  /** The functions, for Lambda `ListFunctions` / `GetFunction`. */
  functions(): LocalFunctionSpec[];
  /** Records were put on a stream (its event source mappings poll now instead of at their idle pace). */
  kinesisWritten?(): void;
}

/** Services with a JSON-protocol body the gateway reads (besides the plugins' own APIs). */
const JSON_SERVICES = new Set(['dynamodb', 'kinesis', 'sqs', 'lambda', 'cloudformation']);

export class Gateway {
  private readonly server = new LoopbackServer((req, res) => this.handle(req, res));
  /**
   * Connections to the emulators, closed at stop: kinesis-mock waits for its open connections before
   * it exits, so keep-alive sockets left in Node's global agent made every stop wait for a kill.
   */
  private readonly upstream = new http.Agent({ keepAlive: true });
  url?: string;
  /** Plain HTTP pages served under a path prefix (the console), beside the AWS APIs. */
  private readonly mounts: { prefix: string; handler: http.RequestListener }[] = [];

  private wiring?: { readonly endpoints: EmulatorEndpoints; readonly local: LocalServices };
  private get endpoints(): EmulatorEndpoints {
    if (!this.wiring) throw new Error('the gateway is not serving yet');
    return this.wiring.endpoints;
  }
  private get local(): LocalServices {
    if (!this.wiring) throw new Error('the gateway is not serving yet');
    return this.wiring.local;
  }

  /**
   * Listen on `port` (0 = a free one) at once, so the port is held from the first moment of a start;
   * requests get 503 until `serve` wires the services (docs/decisions/015-local-cloud-lifecycle.md).
   */
  async start(port = 0): Promise<string> {
    try {
      this.url = await this.server.start(port);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(
        code === 'EADDRINUSE'
          ? `Port ${port} on 127.0.0.1 is already in use; stop what holds it or choose another with --port.`
          : `Port ${port} on 127.0.0.1 cannot be used: ${(err as Error).message}`,
      );
    }
    return this.url;
  }

  /** Start answering: the emulators to forward to and the services the gateway serves itself. */
  serve(endpoints: EmulatorEndpoints, local: LocalServices): void {
    this.wiring = { endpoints, local };
  }

  async stop(): Promise<void> {
    await this.server.stop();
    this.upstream.destroy();
  }

  /** Serve `prefix` and everything under it with `handler` (no AWS signature: a browser's requests). */
  mount(prefix: string, handler: http.RequestListener): void {
    this.mounts.push({ prefix, handler });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!this.wiring) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify({ __type: 'ServiceUnavailable', message: 'the local cloud is starting' }));
      return;
    }
    const url = req.url ?? '/';
    const mounted = this.mounts.find(
      (m) => url === m.prefix || url.startsWith(`${m.prefix}/`) || url.startsWith(`${m.prefix}?`),
    );
    if (mounted) {
      mounted.handler(req, res);
      return;
    }
    if (req.url?.startsWith('/_api/')) {
      this.handleHttpApi(req, res);
      return;
    }
    const service = serviceOf(req);
    const iam = this.local.iam();
    const principal = iam?.principalFor(accessKeyOf(req));
    if (!JSON_SERVICES.has(service) && !this.local.api(service)) {
      if (!iam || !principal) {
        this.forward(service, req, res);
        return;
      }
      const facts = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
      iam.check(principal, s3Requests(facts)).then(
        (denial) => {
          if (denial) return this.deny(service, res, denial);
          this.forward(service, req, res, (status) => this.missingOrDenied(iam, principal, facts, status));
        },
        (err: Error) => this.deny(service, res, { action: '?', resource: '?', message: err.message }),
      );
      return;
    }
    readBody(req, (raw) => {
      if (!iam || !principal) {
        this.dispatch(service, req, res, raw);
        return;
      }
      let body: Record<string, unknown> = {};
      try {
        body = raw.length && service !== 'lambda' ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        // the service answers a malformed body itself
      }
      const facts = { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body };
      const requests = service === 'lambda' ? lambdaRequests(facts, iam.arns) : jsonRequests(service, facts, iam.arns);
      iam.check(principal, requests).then(
        (denial) => (denial ? this.deny(service, res, denial) : this.dispatch(service, req, res, raw)),
        (err: Error) => this.deny(service, res, { action: '?', resource: '?', message: err.message }),
      );
    });
  }

  /**
   * S3 answers 404 for a missing object only to a caller allowed s3:ListBucket on the bucket (whatever
   * its prefix conditions cannot match here); anyone else gets 403 AccessDenied. Returns the status to
   * answer with.
   */
  private async missingOrDenied(
    iam: GatewayIam,
    principal: Principal,
    facts: { method: string; url: string; headers: http.IncomingHttpHeaders },
    status: number,
  ): Promise<number> {
    if (status !== 404) return status;
    const [, bucket = '', ...rest] = new URL(facts.url, 'http://local').pathname.split('/');
    if (rest.length === 0) return status;
    const denial = await iam.check(principal, [
      { action: 's3:ListBucket', resource: `arn:aws:s3:::${decodeURIComponent(bucket)}` },
    ]);
    return denial ? 403 : status;
  }

  /** Answer a denied request the way the service reports AccessDenied. */
  private deny(service: string, res: http.ServerResponse, denial: Denial): void {
    if (service === 's3') {
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${escapeXml(denial.message)}</Message><RequestId>LOCAL</RequestId></Error>`,
      );
      return;
    }
    const type =
      service === 'dynamodb' ? 'com.amazonaws.dynamodb.v20120810#AccessDeniedException' : 'AccessDeniedException';
    res.writeHead(service === 'lambda' ? 403 : 400, {
      'content-type': service === 'lambda' ? 'application/json' : 'application/x-amz-json-1.0',
      'x-amzn-errortype': 'AccessDeniedException',
    });
    res.end(JSON.stringify({ __type: type, Type: 'User', message: denial.message, Message: denial.message }));
  }

  /** A request whose body was read (JSON protocols), to its service. */
  private dispatch(service: string, req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): void {
    if (service === 'cloudformation') {
      this.handleCloudFormation(res, raw);
      return;
    }
    if (service === 'lambda') {
      this.handleLambda(req, res, raw);
      return;
    }
    const api = this.local.api(service);
    if (api) {
      this.handleJsonApi(req, res, raw, api);
      return;
    }
    this.forward(service, req, res, undefined, raw);
  }

  /** Pass a request on to its emulator (the body streamed, or already read). */
  private forward(
    service: string,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    mapStatus?: (status: number) => Promise<number>,
    raw?: Buffer,
  ): void {
    const targets: Record<string, string> = {
      s3: this.endpoints.s3,
      kinesis: this.endpoints.kinesis,
      dynamodb: this.endpoints.dynamodb,
      sqs: this.endpoints.sqs,
    };
    const target = targets[service];
    if (!target) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ __type: 'UnknownService', message: `The local cloud does not serve "${service}"` }));
      return;
    }
    const url = new URL(target);
    const upstream = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent: this.upstream,
      },
      (up) => {
        const status = up.statusCode ?? 502;
        if (!mapStatus || status !== 404) {
          res.writeHead(status, up.headers);
          up.pipe(res);
          if (service === 'kinesis' && status === 200 && /\.PutRecords?$/.test(String(req.headers['x-amz-target'])))
            up.on('end', () => this.local.kinesisWritten?.());
          return;
        }
        // A 404 body is a few hundred bytes of XML: keep it, to send it on unless the answer becomes 403.
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          const passOn = () => {
            res.writeHead(status, up.headers);
            res.end(Buffer.concat(chunks));
          };
          mapStatus(status).then((mapped) => {
            if (mapped !== 403) return passOn();
            this.deny(service, res, {
              action: 's3:GetObject',
              resource: req.url ?? '',
              message: 'Access Denied (the object does not exist, and the caller may not s3:ListBucket the bucket)',
            });
          }, passOn);
        });
      },
    );
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`local cloud gateway: ${service} emulator unreachable: ${err.message}`);
    });
    if (raw) upstream.end(raw);
    else req.pipe(upstream);
  }

  /** CloudFormation (query protocol): `DescribeStacks` with the stack's outputs, as deployed tools read them. */
  private handleCloudFormation(res: http.ServerResponse, raw: Buffer): void {
    const form = new URLSearchParams(raw.toString('utf8'));
    const action = form.get('Action') ?? '';
    const ns = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
    const xml = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
    };
    const error = (code: string, message: string) =>
      xml(
        400,
        `<ErrorResponse xmlns="${ns}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>LOCAL</RequestId></ErrorResponse>`,
      );
    const stack = this.local.stack();
    if (action !== 'DescribeStacks') {
      error('InvalidAction', `The local cloud serves DescribeStacks only, not ${action}`);
      return;
    }
    const wanted = form.get('StackName');
    if (!stack || (wanted && wanted !== stack.name && !wanted.endsWith(`/${stack.name}/local`))) {
      error('ValidationError', `Stack with id ${wanted ?? '(none)'} does not exist`);
      return;
    }
    const outputs = Object.entries(stack.outputs)
      .map(
        ([k, v]) => `<member><OutputKey>${escapeXml(k)}</OutputKey><OutputValue>${escapeXml(v)}</OutputValue></member>`,
      )
      .join('');
    xml(
      200,
      `<DescribeStacksResponse xmlns="${ns}"><DescribeStacksResult><Stacks><member><StackName>${stack.name}</StackName><StackId>arn:aws:cloudformation:us-east-1:000000000000:stack/${stack.name}/local</StackId><StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>${stack.createdAt}</CreationTime><Outputs>${outputs}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>LOCAL</RequestId></ResponseMetadata></DescribeStacksResponse>`,
    );
  }

  /** HTTP API requests, routed to the template's Lambda integrations. */
  private handleHttpApi(req: http.IncomingMessage, res: http.ServerResponse): void {
    readBody(req, (raw) => {
      const url = new URL(req.url ?? '/', 'http://local');
      const [, , apiId = '', ...rest] = url.pathname.split('/');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      this.local
        .httpApi({
          apiId,
          method: req.method ?? 'GET',
          path: `/${rest.join('/')}`,
          query: url.search.slice(1),
          headers,
          body: raw.toString('utf8'),
        })
        .then(
          (out) => {
            res.writeHead(out.statusCode, out.headers);
            res.end(out.body);
          },
          (err: Error) => {
            res.writeHead(500, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ message: err.message }));
          },
        );
    });
  }

  /** An AWS JSON API (X-Amz-Target `<prefix><Action>`) answered by `handler`; its errors carry their `type`. */
  private handleJsonApi(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer, api: JsonApi): void {
    const { version } = api;
    const action = String(req.headers['x-amz-target'] ?? '').replace(api.targetPrefix, '');
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': `application/x-amz-json-${version}` });
      res.end(JSON.stringify(body));
    };
    try {
      const body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
      reply(200, api.handle(action, body));
    } catch (err) {
      const type = err instanceof ApiError ? err.type : 'InternalFailure';
      reply(400, { __type: type, message: (err as Error).message });
    }
  }

  /** Lambda `Invoke` (RequestResponse, Event, DryRun) on the local functions, in the REST shape the SDK expects. */
  private handleLambda(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): void {
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const fail = (status: number, type: string, message: string) =>
      reply(status, { __type: type, Type: 'User', message }, { 'x-amzn-errortype': type });
    const listing = /^\/2015-03-31\/functions\/?(?:\?.*)?$/.test(req.url ?? '');
    const getting = /^\/2015-03-31\/functions\/([^/?]+)(?:\?.*)?$/.exec(req.url ?? '');
    if (req.method === 'GET' && (listing || getting?.[1])) {
      const configs = this.local.functions().map(functionConfiguration);
      if (listing) {
        reply(200, { Functions: configs });
        return;
      }
      const ref = decodeURIComponent(getting?.[1] ?? '');
      const config = configs.find((c) => c.FunctionName === ref || c.FunctionArn === ref);
      if (!config) {
        fail(404, 'ResourceNotFoundException', `Function not found: ${ref}`);
        return;
      }
      reply(200, { Configuration: config, Code: { RepositoryType: 'S3', Location: 'local' } });
      return;
    }
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations(?:\?.*)?$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match?.[1]) {
      fail(400, 'InvalidRequestContentException', 'The local cloud serves Lambda Invoke only');
      return;
    }
    const name = decodeURIComponent(match[1]);
    let payload: unknown = {};
    try {
      payload = raw.length ? JSON.parse(raw.toString('utf8')) : {};
    } catch {
      fail(400, 'InvalidRequestContentException', 'Could not parse request body into json');
      return;
    }
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (type === 'DryRun') {
      reply(204, undefined);
      return;
    }
    const invocation = this.local.invoke(name, payload);
    if (type === 'Event') {
      invocation.catch(() => undefined);
      reply(202, undefined);
      return;
    }
    invocation.then(
      (result) =>
        result.ok
          ? reply(200, result.payload ?? null, { 'x-amz-executed-version': '$LATEST' })
          : reply(200, result.error, { 'x-amz-function-error': 'Unhandled', 'x-amz-executed-version': '$LATEST' }),
      (err: Error) => fail(404, 'ResourceNotFoundException', `Function not found: ${name} (${err.message})`),
    );
  }
}

/** A function's configuration, in the shape of Lambda's `FunctionConfiguration`. */
function functionConfiguration(spec: LocalFunctionSpec) {
  return {
    FunctionName: spec.name,
    FunctionArn: spec.arn,
    Runtime: spec.runtime,
    Handler: spec.handler,
    Timeout: spec.timeoutSeconds,
    MemorySize: spec.memoryMb,
    Architectures: spec.architectures,
    PackageType: 'Zip',
    State: 'Active',
    Environment: { Variables: spec.environment },
  };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
