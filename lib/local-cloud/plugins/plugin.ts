/**
 * A resource family of the local cloud: the template types it runs, and how it creates them. The
 * engine (lib/local-cloud/index.ts) refuses a template with a type no plugin handles and none of its
 * ignored types names (docs/decisions/022-local-cloud-plugins.md).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { LocalSecrets } from '../secrets';
import type { TemplateResolver } from '../template';

/** What a plugin gets to provision its resources: the resolved template, the emulators' clients, the state directory. */
export interface ProvisionContext {
  readonly resolver: TemplateResolver;
  readonly stateDir: string;
  readonly log: (line: string) => void;
  readonly clients: {
    readonly s3: S3Client;
    readonly kinesis: KinesisClient;
    readonly sqs: SQSClient;
    readonly dynamodb: DynamoDBClient;
  };
  readonly secrets: LocalSecrets;
}

export interface LocalPlugin {
  readonly name: string;
  /** CloudFormation types this plugin runs. */
  readonly types: readonly string[];
  /** Create this family's resources (concurrently with the other plugins'). */
  provision?(context: ProvisionContext): Promise<void>;
}

/** Each resource of `type` with its resolved properties and physical name. */
export function resourcesOf(
  { resolver }: Pick<ProvisionContext, 'resolver'>,
  type: string,
): { id: string; name: string; props: Record<string, unknown> }[] {
  return resolver.resourcesOfType(type).map(([id, r]) => ({
    id,
    name: resolver.physicalName(id),
    props: (resolver.resolve(r.Properties ?? {}) ?? {}) as Record<string, unknown>,
  }));
}
