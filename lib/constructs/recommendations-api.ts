import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { RecommendApiEnv } from '../../lambdas/recommend-api/env';
import { envFor } from './function-env';
import { RecoMartFunction, retentionFor } from './lambda-function';

export interface RecommendationsApiProps {
  readonly recommendations: dynamodb.ITable;
  readonly featureTable: dynamodb.ITable;
  /** Steady-state requests per second, and burst. @default 100 / 200 */
  readonly rateLimit?: number;
  readonly burstLimit?: number;
  /**
   * `iam`: callers sign requests (SigV4) and need `execute-api:Invoke`; `none`: open, for a stage that
   * puts its own authenticating gateway in front. @default 'iam'
   */
  readonly auth?: 'iam' | 'none';
  /** @default 7 */
  readonly logRetentionDays?: number;
}

/** HTTP API: `GET /users/{userId}/recommendations?k=10`, throttled, with access logs. */
export class RecommendationsApi extends Construct {
  public readonly api: apigw.HttpApi;
  /** Grants `execute-api:Invoke` on the route; attach it to callers. Undefined when auth is `none`. */
  public readonly invokePolicy?: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: RecommendationsApiProps) {
    super(scope, id);
    const fn = new RecoMartFunction(this, 'Function', {
      functionDir: 'recommend-api',
      environment: envFor(RecommendApiEnv, {
        RECOMMENDATIONS_TABLE: props.recommendations.tableName,
        FEATURE_TABLE: props.featureTable.tableName,
      }),
      memorySize: 512,
      logRetentionDays: props.logRetentionDays,
    });
    props.recommendations.grant(fn, 'dynamodb:GetItem');
    props.featureTable.grant(fn, 'dynamodb:Query');

    this.api = new apigw.HttpApi(this, 'Api', { description: 'RecoMart recommendations', createDefaultStage: false });
    const auth = props.auth ?? 'iam';
    this.api.addRoutes({
      path: '/users/{userId}/recommendations',
      methods: [apigw.HttpMethod.GET],
      integration: new HttpLambdaIntegration('Recommend', fn),
      // Recommendations reveal what a user recently viewed: never open to anyone by default.
      ...(auth === 'iam' ? { authorizer: new HttpIamAuthorizer() } : {}),
    });
    if (auth === 'iam') {
      this.invokePolicy = new iam.ManagedPolicy(this, 'InvokePolicy', {
        description: 'Call the RecoMart recommendations API (GET /users/{userId}/recommendations).',
        statements: [
          new iam.PolicyStatement({
            actions: ['execute-api:Invoke'],
            resources: [this.api.arnForExecuteApi('GET', '/users/*/recommendations', '$default')],
          }),
        ],
      });
    }
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: retentionFor(props.logRetentionDays ?? 7),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    new apigw.CfnStage(this, 'DefaultStage', {
      apiId: this.api.apiId,
      stageName: '$default',
      autoDeploy: true,
      defaultRouteSettings: {
        throttlingRateLimit: props.rateLimit ?? 100,
        throttlingBurstLimit: props.burstLimit ?? 200,
      },
      accessLogSettings: {
        destinationArn: accessLogs.logGroupArn,
        format: JSON.stringify({
          requestId: '$context.requestId',
          route: '$context.routeKey',
          status: '$context.status',
          latencyMs: '$context.responseLatency',
        }),
      },
    });
    if (auth === 'none')
      NagSuppressions.addResourceSuppressions(
        this.api,
        [
          {
            id: 'AwsSolutions-APIG4',
            reason: 'This stage opted out of IAM authorization explicitly (api.auth = none) behind its own gateway.',
          },
        ],
        true,
      );
  }
}
