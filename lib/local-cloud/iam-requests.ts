/**
 * What a request to an AWS API asks IAM for: its action, the resources (as ARNs) and the condition keys
 * that matter, read from the HTTP request the way each service defines its authorization.
 */
import type { AuthzRequest } from './iam';

export interface RequestFacts {
  readonly method: string;
  /** Path and query, as sent (path-style S3). */
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The body of a JSON-protocol request (not read for S3). */
  readonly body?: Record<string, unknown>;
}

export interface ArnContext {
  readonly region: string;
  readonly account: string;
  /** A Lambda function's ARN from the name or ARN in a request. */
  functionArn(nameOrArn: string): string;
  /** A secret's ARN from the name or ARN in a request. */
  secretArn(idOrArn: string): string;
  /** The workgroup a query execution ran in, if the cloud knows it. */
  athenaWorkGroup(queryExecutionId: string): string | undefined;
}

const header = (facts: RequestFacts, name: string) => {
  const v = facts.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** S3, path-style: `/<bucket>[/<key>][?subresource]`. */
export function s3Requests(facts: RequestFacts): AuthzRequest[] {
  const url = new URL(facts.url, 'http://local');
  const [, bucket = '', ...rest] = url.pathname.split('/');
  const key = rest.map(decodeURIComponent).join('/');
  const q = url.searchParams;
  const bucketArn = `arn:aws:s3:::${decodeURIComponent(bucket)}`;
  const objectArn = `${bucketArn}/${key}`;
  const method = facts.method.toUpperCase();
  if (!bucket) return [{ action: 's3:ListAllMyBuckets', resource: '*' }];
  if (!key) {
    if (method === 'PUT') return [{ action: 's3:CreateBucket', resource: bucketArn }];
    if (method === 'DELETE') return [{ action: 's3:DeleteBucket', resource: bucketArn }];
    if (method === 'POST' && q.has('delete')) return [{ action: 's3:DeleteObject', resource: `${bucketArn}/*` }];
    if (q.has('versions')) return [{ action: 's3:ListBucketVersions', resource: bucketArn }];
    if (q.has('uploads')) return [{ action: 's3:ListBucketMultipartUploads', resource: bucketArn }];
    if (q.has('location')) return [{ action: 's3:GetBucketLocation', resource: bucketArn }];
    if (q.has('notification')) return [{ action: 's3:GetBucketNotification', resource: bucketArn }];
    const context: Record<string, string> = {};
    if (q.has('prefix')) context['s3:prefix'] = q.get('prefix') ?? '';
    if (q.has('delimiter')) context['s3:delimiter'] = q.get('delimiter') ?? '';
    if (q.has('max-keys')) context['s3:max-keys'] = q.get('max-keys') ?? '';
    return [{ action: 's3:ListBucket', resource: bucketArn, context }];
  }
  const versioned = q.has('versionId');
  if (method === 'GET' || method === 'HEAD') {
    if (q.has('tagging')) return [{ action: 's3:GetObjectTagging', resource: objectArn }];
    if (q.has('acl')) return [{ action: 's3:GetObjectAcl', resource: objectArn }];
    if (q.has('uploadId')) return [{ action: 's3:ListMultipartUploadParts', resource: objectArn }];
    return [{ action: versioned ? 's3:GetObjectVersion' : 's3:GetObject', resource: objectArn }];
  }
  if (method === 'DELETE') {
    if (q.has('uploadId')) return [{ action: 's3:AbortMultipartUpload', resource: objectArn }];
    const requests: AuthzRequest[] = [
      { action: versioned ? 's3:DeleteObjectVersion' : 's3:DeleteObject', resource: objectArn },
    ];
    // A conditional delete with an ETag also needs read permission on the object (S3's rule).
    if (header(facts, 'if-match') !== undefined) requests.push({ action: 's3:GetObject', resource: objectArn });
    return requests;
  }
  if (method === 'PUT' && q.has('tagging')) return [{ action: 's3:PutObjectTagging', resource: objectArn }];
  const copySource = header(facts, 'x-amz-copy-source');
  if (method === 'PUT' && copySource && !q.has('uploadId')) {
    const source = parseCopySource(copySource);
    return [
      { action: 's3:PutObject', resource: objectArn },
      {
        action: source.versionId ? 's3:GetObjectVersion' : 's3:GetObject',
        resource: `arn:aws:s3:::${source.bucket}/${source.key}`,
      },
    ];
  }
  // PutObject, multipart create/upload part/complete
  return [{ action: 's3:PutObject', resource: objectArn }];
}

function parseCopySource(value: string): { bucket: string; key: string; versionId?: string } {
  const [path = '', query = ''] = value.split('?');
  const decoded = decodeURIComponent(path).replace(/^\//, '');
  const slash = decoded.indexOf('/');
  const versionId = new URLSearchParams(query).get('versionId') ?? undefined;
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1), ...(versionId ? { versionId } : {}) };
}

/** JSON-protocol services: the action is in `X-Amz-Target`, the resource in the body. */
export function jsonRequests(service: string, facts: RequestFacts, arns: ArnContext): AuthzRequest[] {
  const target = String(header(facts, 'x-amz-target') ?? '');
  const operation = target.slice(target.indexOf('.') + 1);
  const body = facts.body ?? {};
  const { region, account } = arns;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  switch (service) {
    case 'dynamodb': {
      const action = `dynamodb:${operation}`;
      const table = (name: string) => `arn:aws:dynamodb:${region}:${account}:table/${name}`;
      if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
        const tables = Object.keys((body.RequestItems as Record<string, unknown> | undefined) ?? {});
        return tables.map((t) => ({ action, resource: table(t) }));
      }
      const name = str(body.TableName);
      if (!name) return [{ action, resource: '*' }];
      const index = str(body.IndexName);
      return [{ action, resource: index ? `${table(name)}/index/${index}` : table(name) }];
    }
    case 'kinesis': {
      const arn =
        str(body.StreamARN) ??
        (str(body.StreamName) ? `arn:aws:kinesis:${region}:${account}:stream/${body.StreamName}` : '*');
      return [{ action: `kinesis:${operation}`, resource: arn }];
    }
    case 'sqs': {
      const url = str(body.QueueUrl);
      const name = url ? url.slice(url.lastIndexOf('/') + 1) : str(body.QueueName);
      return [{ action: `sqs:${operation}`, resource: name ? `arn:aws:sqs:${region}:${account}:${name}` : '*' }];
    }
    case 'states': {
      const arn = str(body.executionArn) ?? str(body.stateMachineArn) ?? '*';
      return [{ action: `states:${operation}`, resource: arn }];
    }
    case 'secretsmanager': {
      const id = str(body.SecretId);
      return [{ action: `secretsmanager:${operation}`, resource: id ? arns.secretArn(id) : '*' }];
    }
    case 'glue': {
      // Glue authorizes a table read on the catalog, the database and the table(s).
      const catalog = `arn:aws:glue:${region}:${account}:catalog`;
      const action = `glue:${operation}`;
      if (operation === 'GetDatabases') return [{ action, resource: catalog }];
      const db = str(body.DatabaseName) ?? str(body.Name) ?? '';
      const database = `arn:aws:glue:${region}:${account}:database/${db}`;
      if (operation === 'GetDatabase') return [catalog, database].map((resource) => ({ action, resource }));
      const table =
        operation === 'GetTable' || operation === 'GetPartitions' ? (str(body.TableName) ?? str(body.Name)) : '*';
      const tables = `arn:aws:glue:${region}:${account}:table/${db}/${table ?? '*'}`;
      return [catalog, database, tables].map((resource) => ({ action, resource }));
    }
    case 'athena': {
      const id = str(body.QueryExecutionId);
      const group = str(body.WorkGroup) ?? (id ? arns.athenaWorkGroup(id) : undefined) ?? 'primary';
      return [{ action: `athena:${operation}`, resource: `arn:aws:athena:${region}:${account}:workgroup/${group}` }];
    }
    default:
      return [];
  }
}

/** Lambda's REST API: `POST /2015-03-31/functions/<name>/invocations`. */
export function lambdaRequests(facts: RequestFacts, arns: ArnContext): AuthzRequest[] {
  const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(facts.url);
  if (!match?.[1]) return [{ action: 'lambda:ListFunctions', resource: '*' }];
  return [{ action: 'lambda:InvokeFunction', resource: arns.functionArn(decodeURIComponent(match[1])) }];
}
