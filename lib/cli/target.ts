import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { type Env, endpointFor } from '../../layers/aws/clients';
import { cloudFormationClient } from '../../layers/aws/control-plane-clients';
import { localCloudEnv, readEndpointFile } from '../local-cloud/endpoint-file';
import { isAlive } from '../local-cloud/state-lock';
import { stackIdFor } from '../stack-id';

/**
 * Where a CLI command sends its AWS calls, and how it finds the stack's resource names:
 * 1. `AWS_ENDPOINT_URL` (or a per-service variable) is set: that endpoint (LocalStack, say), names
 *    from its CloudFormation stack outputs;
 * 2. a running local cloud has left `endpoint.json` in the state directory: that cloud and its outputs;
 * 3. otherwise AWS itself, with the standard SDK configuration, names from the deployed stack's outputs.
 */
export interface Target {
  readonly description: string;
  readonly env: Env;
  output(name: string): Promise<string>;
}

export interface TargetOptions {
  readonly state: string;
  readonly stage: string;
}

export function resolveTarget(opts: TargetOptions, env: Env = process.env): Target {
  const stackName = stackIdFor(opts.stage);
  if (endpointFor('KINESIS', env) || endpointFor('S3', env)) {
    return stackTarget(`${endpointFor('KINESIS', env) ?? endpointFor('S3', env)} (stack ${stackName})`, env, stackName);
  }
  const local = readEndpointFile(opts.state);
  if (local && isAlive(local.pid)) {
    return {
      description: `the local cloud at ${local.endpoint} (state ${opts.state})`,
      env: localCloudEnv(local, env),
      output: async (name) => {
        const value = local.outputs[name];
        if (value === undefined) throw new Error(`The local cloud's stack has no output ${name}.`);
        return value;
      },
    };
  }
  return stackTarget(`AWS (stack ${stackName})`, env, stackName);
}

function stackTarget(description: string, env: Env, stackName: string): Target {
  let outputs: Promise<Record<string, string>> | undefined;
  return {
    description,
    env,
    output: async (name) => {
      outputs ??= readStackOutputs(env, stackName);
      const value = (await outputs)[name];
      if (value === undefined) throw new Error(`Stack ${stackName} has no output ${name}; is it deployed and current?`);
      return value;
    },
  };
}

async function readStackOutputs(env: Env, stackName: string): Promise<Record<string, string>> {
  const cfn = cloudFormationClient({ env });
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = out.Stacks?.[0];
    return Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  } catch (err) {
    throw new Error(
      `Could not read the outputs of stack ${stackName} (${(err as Error).message}). Deploy it with ` +
        '`npx cdk deploy`, start `recomart local up`, or name the resource explicitly.',
    );
  } finally {
    cfn.destroy();
  }
}
