/**
 * Step Functions state machines of the template, run by ../step-functions.ts, with their ECS task
 * definitions run as local child processes from the assembly's container assets, each with its task
 * role's credentials.
 */
import * as path from 'node:path';
import { LocalIam } from '../iam';
import { LocalStepFunctions, type StateMachineSpec, type TaskDefinitionSpec } from '../step-functions';
import type { TemplateResolver } from '../template';
import type { LambdaFunctions } from './functions';
import type { LocalPlugin } from './plugin';

export interface StateMachineOptions {
  readonly assemblyDir: string;
  readonly dockerImages: Record<string, { source: { directory: string } }>;
  readonly stateDir: string;
  readonly retryIntervalMs: number;
  /** The SDK environment code running as a role gets. */
  readonly roleEnv: (roleLogicalId: string | undefined, session: string) => Record<string, string>;
  readonly log: (line: string) => void;
}

export class StateMachines implements LocalPlugin {
  readonly name = 'step-functions';
  readonly types = ['AWS::StepFunctions::StateMachine', 'AWS::ECS::TaskDefinition'];
  runner?: LocalStepFunctions;

  wire(resolver: TemplateResolver, functions: LambdaFunctions, options: StateMachineOptions): LocalStepFunctions {
    this.runner = new LocalStepFunctions(stateMachines(resolver), {
      invokeFunction: (ref, payload) => functions.byRef(ref).invoke(payload),
      taskDefinitions: taskDefinitions(resolver, options),
      // Local only: the SDK's Node 22 notice would drown the container's own log lines.
      // Credentials and endpoints come with each task definition (its role's).
      containerEnv: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stateDir: options.stateDir,
      retryIntervalMs: options.retryIntervalMs,
      log: options.log,
    });
    return this.runner;
  }

  async stop(): Promise<void> {
    await this.runner?.stopAll();
  }
}

function stateMachines(resolver: TemplateResolver): StateMachineSpec[] {
  return resolver.resourcesOfType('AWS::StepFunctions::StateMachine').map(([id, r]) => {
    const props = r.Properties ?? {};
    const definition =
      props.DefinitionString !== undefined
        ? JSON.parse(resolver.resolveString(props.DefinitionString))
        : (resolver.resolve(props.Definition) as Record<string, unknown>);
    return { logicalId: id, name: resolver.physicalName(id), arn: resolver.arn(id), definition };
  });
}

function taskDefinitions(resolver: TemplateResolver, options: StateMachineOptions): Map<string, TaskDefinitionSpec> {
  const out = new Map<string, TaskDefinitionSpec>();
  for (const [id, r] of resolver.resourcesOfType('AWS::ECS::TaskDefinition')) {
    const props = resolver.resolve(r.Properties ?? {}) as { ContainerDefinitions?: Record<string, unknown>[] };
    const containers = (props.ContainerDefinitions ?? []).map((c) => {
      const image = String(c.Image ?? '');
      const hash = image.split(':').pop() ?? '';
      const asset = options.dockerImages[hash];
      if (!asset)
        throw new Error(`Task definition ${id} uses image ${image}, which is not a container asset of this app`);
      return {
        name: String(c.Name),
        assetDir: path.join(options.assemblyDir, asset.source.directory),
        environment: Object.fromEntries(
          ((c.Environment as { Name: string; Value: string }[]) ?? []).map((e) => [e.Name, String(e.Value)]),
        ),
        command: c.Command as string[] | undefined,
        entryPoint: c.EntryPoint as string[] | undefined,
        essential: c.Essential !== false,
      };
    });
    const family = resolver.physicalName(id);
    const spec: TaskDefinitionSpec = {
      family,
      arn: resolver.arn(id),
      containers,
      env: options.roleEnv(LocalIam.roleOf(r.Properties?.TaskRoleArn), family),
    };
    out.set(spec.arn, spec);
    out.set(id, spec);
  }
  return out;
}
