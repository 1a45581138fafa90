/**
 * Step Functions state machines of the template, run by ../step-functions.ts, with their ECS task
 * definitions run as local child processes from the assembly's container assets, each with its task
 * role's credentials.
 */
import * as path from 'node:path';
import { LocalIam } from '../iam';
import { LocalStepFunctions, type StateMachineSpec, type TaskDefinitionSpec } from '../step-functions';
import { stepFunctionsApi } from '../step-functions-api';
import type { TemplateResolver } from '../template';
import { AthenaQueries } from './athena';
import { LambdaFunctions } from './functions';
import { IamEnforcement } from './iam';
import { ApiError, type JsonApi, type LocalPlugin, type WireContext } from './plugin';

export class StateMachines implements LocalPlugin {
  readonly name = 'step-functions';
  readonly types = ['AWS::StepFunctions::StateMachine', 'AWS::ECS::TaskDefinition'];
  runner?: LocalStepFunctions;
  readonly api: JsonApi = {
    service: 'states',
    targetPrefix: 'AWSStepFunctions.',
    version: '1.0',
    handle: (action, body) => {
      if (!this.runner) throw new ApiError('UnknownOperationException', 'Step Functions is not up yet');
      return stepFunctionsApi(this.runner, action, body);
    },
  };

  wire(context: WireContext): void {
    const functions = context.plugin(LambdaFunctions);
    this.runner = new LocalStepFunctions(stateMachines(context.resolver), {
      invokeFunction: (ref, payload) => functions.byRef(ref).invoke(payload),
      athena: context.plugin(AthenaQueries).tasks,
      checkRole: (machine, requests) => context.plugin(IamEnforcement).checkRole(machine.role, machine.name, requests),
      arns: { region: context.region, account: context.account },
      taskDefinitions: taskDefinitions(context),
      // Local only: the SDK's Node 22 notice would drown the container's own log lines.
      // Credentials and endpoints come with each task definition (its role's).
      containerEnv: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stateDir: context.stateDir,
      retryIntervalMs: context.retryIntervalMs,
      log: context.log,
    });
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
    const role = LocalIam.roleOf(props.RoleArn);
    return {
      logicalId: id,
      name: resolver.physicalName(id),
      arn: resolver.arn(id),
      definition,
      ...(role ? { role } : {}),
    };
  });
}

function taskDefinitions({
  resolver,
  assemblyDir,
  dockerImages,
  plugin,
}: WireContext): Map<string, TaskDefinitionSpec> {
  const iam = plugin(IamEnforcement);
  const out = new Map<string, TaskDefinitionSpec>();
  for (const [id, r] of resolver.resourcesOfType('AWS::ECS::TaskDefinition')) {
    const props = resolver.resolve(r.Properties ?? {}) as { ContainerDefinitions?: Record<string, unknown>[] };
    const containers = (props.ContainerDefinitions ?? []).map((c) => {
      const image = String(c.Image ?? '');
      const hash = image.split(':').pop() ?? '';
      const asset = dockerImages[hash];
      if (!asset)
        throw new Error(`Task definition ${id} uses image ${image}, which is not a container asset of this app`);
      return {
        name: String(c.Name),
        assetDir: path.join(assemblyDir, asset.source.directory),
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
      env: iam.roleEnv(LocalIam.roleOf(r.Properties?.TaskRoleArn), family),
    };
    out.set(spec.arn, spec);
    out.set(id, spec);
  }
  return out;
}
