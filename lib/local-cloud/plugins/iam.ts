/**
 * IAM enforcement: the template's roles and policies are not created but read, and every AWS call a
 * function or task makes with its role's credentials is checked against them on the gateway
 * (../iam.ts; docs/decisions/016-aws-faithful-local-cloud.md).
 */
import type { GatewayIam } from '../gateway';
import { type AuthzRequest, type Denial, LocalIam } from '../iam';
import type { ArnContext } from '../iam-requests';
import type { LocalPlugin, ProvisionContext } from './plugin';

export class IamEnforcement implements LocalPlugin {
  readonly name = 'iam';
  readonly types = ['AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::S3::BucketPolicy'];
  readonly accepted = {
    'AWS::Lambda::Permission': "resource policies are not enforced locally (roles' identity policies are)",
    'AWS::SQS::QueuePolicy': "resource policies are not enforced locally (roles' identity policies are)",
  };
  private iam?: LocalIam;
  private context?: ProvisionContext;

  /** @param enforce Evaluate role calls (false: every call is allowed). */
  constructor(private readonly enforce: boolean) {}

  async provision(context: ProvisionContext): Promise<void> {
    this.context = context;
    this.iam = new LocalIam(context.resolver, this.enforce);
  }

  /**
   * The SDK environment of code running as a role: the role's own credentials and every service through
   * the gateway, where IAM checks each call. Without a role (or with IAM off), the cloud's own access.
   */
  roleEnv(roleLogicalId: string | undefined, session: string): Record<string, string> {
    if (!this.iam || !this.context) throw new Error('IAM is not provisioned yet');
    if (!roleLogicalId || !this.iam.enforce) return { ...this.context.sdkEnv };
    const principal = this.iam.principalOfRole(roleLogicalId, session);
    return {
      AWS_REGION: this.context.region,
      AWS_ACCESS_KEY_ID: principal.accessKeyId,
      AWS_SECRET_ACCESS_KEY: principal.secretAccessKey,
      AWS_ENDPOINT_URL: this.context.endpoint,
    };
  }

  /**
   * Check requests a role makes without going through the gateway (a state machine's service
   * integrations): the first one it may not make, or undefined (always, when IAM is not enforced).
   */
  async checkRole(
    roleLogicalId: string | undefined,
    session: string,
    requests: readonly AuthzRequest[],
  ): Promise<Denial | undefined> {
    if (!this.iam?.enforce || !roleLogicalId) return undefined;
    return this.iam.check(this.iam.principalOfRole(roleLogicalId, session), requests);
  }

  /** What the gateway checks role calls with, or undefined when IAM is not enforced. */
  gateway(arns: Omit<ArnContext, 'region' | 'account'>): GatewayIam | undefined {
    const iam = this.iam;
    const context = this.context;
    if (!iam?.enforce || !context) return undefined;
    return {
      principalFor: (key) => iam.principalForAccessKey(key),
      check: (principal, requests) => iam.check(principal, requests),
      arns: { region: context.region, account: context.account, ...arns },
    };
  }
}
