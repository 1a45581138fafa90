/**
 * Reading a synthesized CloudFormation template the way CloudFormation would: deterministic physical
 * names for every resource, and the intrinsic functions CDK emits resolved to those names.
 */
import { LOCAL_ACCOUNT, LOCAL_REGION } from './emulators';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly Condition?: string;
  readonly DependsOn?: string | string[];
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { Value: unknown; Description?: string }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly Parameters?: Record<string, { Default?: unknown }>;
}

/** Properties that carry a user-chosen physical name, per resource type. */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Kinesis::Stream': 'Name',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::ECS::Cluster': 'ClusterName',
  'AWS::ECS::TaskDefinition': 'Family',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::Athena::WorkGroup': 'Name',
  'AWS::Events::Rule': 'Name',
};

export class UnsupportedIntrinsicError extends Error {
  override readonly name = 'UnsupportedIntrinsicError';
}

/** Physical names and intrinsic resolution for one stack's template. */
export class TemplateResolver {
  readonly region = LOCAL_REGION;
  readonly account = LOCAL_ACCOUNT;
  private readonly names = new Map<string, string>();
  /** The local gateway's URL (HTTP API endpoints live under it). */
  gatewayUrl = 'http://127.0.0.1:4566';
  /** Where queue URLs point (the SQS emulator once it is up). */
  sqsEndpoint = 'http://127.0.0.1:4566';
  /** Queue URLs as the SQS emulator reported them at creation, by logical id. */
  readonly queueUrls = new Map<string, string>();

  constructor(
    readonly stackName: string,
    readonly template: CfnTemplate,
  ) {
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      this.names.set(logicalId, this.derivePhysicalName(logicalId, resource));
    }
  }

  /** A physical name that is the same on every run for the same stack and logical id. */
  private derivePhysicalName(logicalId: string, resource: CfnResource): string {
    const prop = NAME_PROPERTY[resource.Type];
    const explicit =
      resource.Type === 'AWS::Glue::Database'
        ? (resource.Properties?.DatabaseInput as { Name?: unknown } | undefined)?.Name
        : prop
          ? resource.Properties?.[prop]
          : undefined;
    if (explicit !== undefined) {
      const value = this.resolve(explicit);
      if (typeof value === 'string') return value;
    }
    const base = `${this.stackName}-${logicalId}`;
    switch (resource.Type) {
      case 'AWS::S3::Bucket':
        return base
          .toLowerCase()
          .replace(/[^a-z0-9.-]/g, '-')
          .slice(0, 63);
      case 'AWS::SQS::Queue':
        return resource.Properties?.FifoQueue ? `${base.slice(0, 75)}.fifo` : base.slice(0, 80);
      case 'AWS::Lambda::Function':
        return base.slice(0, 64);
      default:
        return base.slice(0, 128);
    }
  }

  physicalName(logicalId: string): string {
    const name = this.names.get(logicalId);
    if (name === undefined) throw new UnsupportedIntrinsicError(`template has no resource "${logicalId}"`);
    return name;
  }

  resourcesOfType(type: string): [string, CfnResource][] {
    return Object.entries(this.template.Resources).filter(([, r]) => r.Type === type);
  }

  arn(logicalId: string): string {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new UnsupportedIntrinsicError(`template has no resource "${logicalId}"`);
    const name = this.physicalName(logicalId);
    const { region, account } = this;
    switch (resource.Type) {
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${name}`;
      case 'AWS::Kinesis::Stream':
        return `arn:aws:kinesis:${region}:${account}:stream/${name}`;
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${region}:${account}:table/${name}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${region}:${account}:${name}`;
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${region}:${account}:function:${name}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${region}:${account}:stateMachine:${name}`;
      case 'AWS::ECS::Cluster':
        return `arn:aws:ecs:${region}:${account}:cluster/${name}`;
      case 'AWS::ECS::TaskDefinition':
        return `arn:aws:ecs:${region}:${account}:task-definition/${name}:1`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${account}:role/${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${region}:${account}:log-group:${name}:*`;
      case 'AWS::SecretsManager::Secret':
        // Secrets Manager appends six random characters; ours are derived, so the ARN is stable.
        return `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${hash8(logicalId).slice(0, 6)}`;
      case 'AWS::Events::Rule':
        return `arn:aws:events:${region}:${account}:rule/${name}`;
      default: {
        const service = resource.Type.split('::')[1]?.toLowerCase() ?? 'unknown';
        return `arn:aws:${service}:${region}:${account}:${logicalId.toLowerCase()}/${name}`;
      }
    }
  }

  queueUrl(logicalId: string, sqsEndpoint: string): string {
    return this.queueUrls.get(logicalId) ?? `${sqsEndpoint}/${this.account}/${this.physicalName(logicalId)}`;
  }

  /** URL of the template's queue with this ARN (on-failure destinations and notifications name queues by ARN). */
  queueUrlForArn(arn: string): string {
    const name = arn.split(':').pop();
    const id = this.resourcesOfType('AWS::SQS::Queue').find(([qid]) => this.physicalName(qid) === name)?.[0];
    if (!id) throw new UnsupportedIntrinsicError(`${arn} is not a queue of this template`);
    return this.queueUrl(id, this.sqsEndpoint);
  }

  /** Value of `Ref` for a resource, as CloudFormation defines it per type. */
  ref(logicalId: string): string {
    const pseudo = this.pseudoParameter(logicalId);
    if (pseudo !== undefined) return pseudo;
    const param = this.template.Parameters?.[logicalId];
    if (param) {
      if (param.Default === undefined) throw new UnsupportedIntrinsicError(`parameter ${logicalId} has no default`);
      return String(param.Default);
    }
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new UnsupportedIntrinsicError(`Ref to unknown resource "${logicalId}"`);
    switch (resource.Type) {
      case 'AWS::SQS::Queue':
        return this.queueUrl(logicalId, this.sqsEndpoint);
      case 'AWS::StepFunctions::StateMachine':
      case 'AWS::ECS::TaskDefinition':
      case 'AWS::SecretsManager::Secret':
        return this.arn(logicalId);
      case 'AWS::EC2::SecurityGroup':
        return `sg-${hash8(logicalId)}`;
      case 'AWS::EC2::Subnet':
        return `subnet-${hash8(logicalId)}`;
      case 'AWS::EC2::VPC':
        return `vpc-${hash8(logicalId)}`;
      case 'AWS::ApiGatewayV2::Api':
        return hash8(logicalId).slice(0, 10);
      default:
        return this.physicalName(logicalId);
    }
  }

  getAtt(logicalId: string, attribute: string): string {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new UnsupportedIntrinsicError(`Fn::GetAtt on unknown resource "${logicalId}"`);
    const name = this.physicalName(logicalId);
    switch (attribute) {
      case 'Arn':
        return this.arn(logicalId);
      case 'QueueName':
      case 'Name':
        return name;
      case 'QueueUrl':
        return this.ref(logicalId);
      case 'DomainName':
        return `${name}.s3.amazonaws.com`;
      case 'RegionalDomainName':
        return `${name}.s3.${this.region}.amazonaws.com`;
      case 'GroupId':
        return this.ref(logicalId);
      case 'StreamArn':
        return `${this.arn(logicalId)}/stream/local`;
      case 'ApiEndpoint':
        // HTTP APIs are served by the local gateway under /_api/<apiId>
        return `${this.gatewayUrl}/_api/${this.ref(logicalId)}`;
      case 'ApiId':
        return this.ref(logicalId);
      default:
        return `${name}.${attribute}`;
    }
  }

  private pseudoParameter(name: string): string | undefined {
    switch (name) {
      case 'AWS::Region':
        return this.region;
      case 'AWS::AccountId':
        return this.account;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${this.region}:${this.account}:stack/${this.stackName}/local`;
      default:
        return undefined;
    }
  }

  /** Resolve every intrinsic function in a value (deeply). */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v)).filter((v) => v !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0] as [string, unknown];
      if (fn === 'Ref') return arg === 'AWS::NoValue' ? NO_VALUE : this.ref(String(arg));
      if (fn === 'Condition') return this.condition(String(arg));
      if (fn.startsWith('Fn::')) return this.intrinsic(fn, arg);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const resolved = this.resolve(v);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  }

  resolveString(value: unknown): string {
    const resolved = this.resolve(value);
    if (typeof resolved !== 'string')
      throw new UnsupportedIntrinsicError(`expected a string, got ${JSON.stringify(resolved)}`);
    return resolved;
  }

  private intrinsic(fn: string, arg: unknown): unknown {
    const args = Array.isArray(arg) ? arg : [arg];
    switch (fn) {
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = typeof arg === 'string' ? splitOnce(arg, '.') : (args as [string, string]);
        return this.getAtt(String(logicalId), String(this.resolve(attribute)));
      }
      case 'Fn::Join': {
        const [sep, list] = args as [string, unknown];
        const items = this.resolve(list);
        if (!Array.isArray(items)) throw new UnsupportedIntrinsicError('Fn::Join needs a list');
        return items.map((i) => (typeof i === 'string' ? i : JSON.stringify(i))).join(sep);
      }
      case 'Fn::Sub':
        return this.sub(arg);
      case 'Fn::Select': {
        const [index, list] = args as [unknown, unknown];
        const items = this.resolve(list);
        if (!Array.isArray(items)) throw new UnsupportedIntrinsicError('Fn::Select needs a list');
        return items[Number(this.resolve(index))];
      }
      case 'Fn::Split': {
        const [sep, source] = args as [string, unknown];
        return this.resolveString(source).split(sep);
      }
      case 'Fn::GetAZs':
        return [`${this.region}a`, `${this.region}b`, `${this.region}c`];
      case 'Fn::FindInMap': {
        const [map, top, second] = args.map((a) => String(this.resolve(a)));
        const value = this.template.Mappings?.[map ?? '']?.[top ?? '']?.[second ?? ''];
        if (value === undefined) throw new UnsupportedIntrinsicError(`Fn::FindInMap ${map}.${top}.${second} not found`);
        return value;
      }
      case 'Fn::If': {
        const [cond, whenTrue, whenFalse] = args as [string, unknown, unknown];
        return this.resolve(this.condition(cond) ? whenTrue : whenFalse);
      }
      case 'Fn::Equals': {
        const [a, b] = args;
        return JSON.stringify(this.resolve(a)) === JSON.stringify(this.resolve(b));
      }
      case 'Fn::Not':
        return !this.resolve(args[0]);
      case 'Fn::And':
        return args.every((a) => this.resolve(a) === true);
      case 'Fn::Or':
        return args.some((a) => this.resolve(a) === true);
      case 'Fn::Base64':
        return Buffer.from(this.resolveString(args[0])).toString('base64');
      default:
        throw new UnsupportedIntrinsicError(`${fn} is not supported by the local cloud`);
    }
  }

  condition(name: string): boolean {
    const expr = this.template.Conditions?.[name];
    if (expr === undefined) throw new UnsupportedIntrinsicError(`template has no condition "${name}"`);
    return this.resolve(expr) === true;
  }

  private sub(arg: unknown): string {
    const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
    return text.replace(/\$\{([^}]+)\}/g, (whole, expr: string) => {
      if (expr.startsWith('!')) return `\${${expr.slice(1)}}`;
      if (vars && expr in vars) return String(this.resolve(vars[expr]));
      if (expr.includes('.') && !expr.startsWith('AWS::')) {
        const [id, attribute] = splitOnce(expr, '.');
        return this.getAtt(id, attribute);
      }
      const value = this.ref(expr);
      return value ?? whole;
    });
  }
}

const NO_VALUE = Symbol('AWS::NoValue');

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

function hash8(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16).padStart(8, '0');
}
