/**
 * IAM on the local cloud (docs/decisions/016-aws-faithful-local-cloud.md): every AWS call a local Lambda
 * function or ECS task makes is evaluated against the policies the template attaches to its role, with
 * a maintained policy simulator (@cloud-copilot/iam-simulate), and a denied call fails as on AWS.
 * Each role gets credentials of its own, so the gateway knows who calls; callers with any other
 * credentials (you, the CLI, the tests) are not restricted, as there are no IAM users locally.
 */
import { createHash } from 'node:crypto';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { TemplateResolver } from './template';

/** One permission check: an action on a resource, with the request's condition keys. */
export interface AuthzRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
}

export interface Principal {
  readonly roleLogicalId: string;
  readonly roleName: string;
  /** The assumed-role session ARN, as AWS names the caller in errors. */
  readonly arn: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface Denial {
  readonly action: string;
  readonly resource: string;
  readonly message: string;
}

type PolicyDocument = { Version?: string; Statement: unknown[] | unknown };

/** Roles, their policies and the resource policies of a template, ready to evaluate requests against. */
export class LocalIam {
  private readonly identityPolicies = new Map<string, { name: string; policy: PolicyDocument }[]>();
  private readonly bucketPolicies = new Map<string, PolicyDocument>();
  private readonly principals = new Map<string, Principal>();
  private readonly byKey = new Map<string, Principal>();
  private readonly cache = new Map<string, Denial | null>();

  constructor(
    private readonly resolver: TemplateResolver,
    /** Evaluate requests (false: every call is allowed, as before the local cloud enforced IAM). */
    readonly enforce = true,
  ) {
    const attach = (roleRef: unknown, name: string, policy: unknown) => {
      const roleId = (roleRef as { Ref?: string } | undefined)?.Ref;
      if (!roleId || !policy) return;
      const list = this.identityPolicies.get(roleId) ?? [];
      list.push({ name, policy: resolver.resolve(policy) as PolicyDocument });
      this.identityPolicies.set(roleId, list);
    };
    for (const [id, r] of Object.entries(resolver.template.Resources)) {
      const props = r.Properties ?? {};
      if (r.Type === 'AWS::IAM::Role') {
        for (const p of (props.Policies as { PolicyName: string; PolicyDocument: unknown }[] | undefined) ?? [])
          attach({ Ref: id }, p.PolicyName, p.PolicyDocument);
      } else if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
        for (const role of (props.Roles as unknown[] | undefined) ?? []) attach(role, id, props.PolicyDocument);
      } else if (r.Type === 'AWS::S3::BucketPolicy') {
        const bucket = resolver.resolve(props.Bucket);
        if (typeof bucket === 'string')
          this.bucketPolicies.set(bucket, resolver.resolve(props.PolicyDocument) as PolicyDocument);
      }
    }
  }

  /** The principal a role's code runs as (its credentials are stable for a stack and role). */
  principalOfRole(roleLogicalId: string, session: string): Principal {
    const existing = this.principals.get(roleLogicalId);
    if (existing) return existing;
    const roleName = this.resolver.physicalName(roleLogicalId);
    const digest = createHash('sha256').update(`${this.resolver.stackName}/${roleLogicalId}`).digest('hex');
    const principal: Principal = {
      roleLogicalId,
      roleName,
      arn: `arn:aws:sts::${this.resolver.account}:assumed-role/${roleName}/${session}`,
      accessKeyId: `ASIA${digest.slice(0, 16).toUpperCase()}`,
      secretAccessKey: digest.slice(16, 56),
    };
    this.principals.set(roleLogicalId, principal);
    this.byKey.set(principal.accessKeyId, principal);
    return principal;
  }

  /** The role a function or task definition property names (`Fn::GetAtt: [Role, Arn]`). */
  static roleOf(roleProperty: unknown): string | undefined {
    const getAtt = (roleProperty as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
    return getAtt?.[0];
  }

  principalForAccessKey(accessKeyId: string | undefined): Principal | undefined {
    return accessKeyId ? this.byKey.get(accessKeyId) : undefined;
  }

  /** The first request the principal may not make, or undefined when all are allowed. */
  async check(principal: Principal, requests: readonly AuthzRequest[]): Promise<Denial | undefined> {
    if (!this.enforce) return undefined;
    for (const request of requests) {
      const denial = await this.evaluate(principal, request);
      if (denial) return denial;
    }
    return undefined;
  }

  private async evaluate(principal: Principal, request: AuthzRequest): Promise<Denial | undefined> {
    const context = { 'aws:SecureTransport': 'true', ...(request.context ?? {}) };
    const cacheKey = `${principal.roleLogicalId}\n${request.action}\n${request.resource}\n${JSON.stringify(context)}`;
    const cached = this.cache.get(cacheKey);
    if (cached !== undefined) return cached ?? undefined;
    const bucket = request.action.startsWith('s3:') ? /^arn:aws:s3:::([^/]+)/.exec(request.resource)?.[1] : undefined;
    const result = await runSimulation(
      {
        request: {
          principal: principal.arn,
          action: request.action,
          resource: { resource: request.resource, accountId: this.resolver.account },
          contextVariables: context,
        },
        identityPolicies: this.identityPolicies.get(principal.roleLogicalId) ?? [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(bucket && this.bucketPolicies.has(bucket) ? { resourcePolicy: this.bucketPolicies.get(bucket) } : {}),
      },
      {},
    );
    const overall = (result as { overallResult?: string }).overallResult;
    let denial: Denial | null = null;
    if (result.resultType === 'error') {
      denial = {
        ...request,
        message: `the local cloud could not evaluate ${request.action} on ${request.resource}: ${result.errors.message}`,
      };
    } else if (overall !== 'Allowed') {
      const why =
        overall === 'ExplicitlyDenied'
          ? `with an explicit deny in a policy`
          : 'because no identity-based policy allows the ' + `${request.action} action`;
      denial = {
        ...request,
        message: `User: ${principal.arn} is not authorized to perform: ${request.action} on resource: "${request.resource}" ${why}`,
      };
    }
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(cacheKey, denial);
    return denial ?? undefined;
  }
}
