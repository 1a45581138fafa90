import { Gateway, type LocalServices } from '../../../lib/local-cloud/gateway';
import {
  awsPlugins,
  EventSourceMappings,
  IamEnforcement,
  LambdaFunctions,
  pluginOf,
  S3Notifications,
  StateMachines,
  unrunnable,
} from '../../../lib/local-cloud/plugins';
import { ApiError, type JsonApi } from '../../../lib/local-cloud/plugins/plugin';

describe('the local cloud plugins', () => {
  const plugins = awsPlugins({ enforceIam: true });
  const position = (kind: abstract new (...args: never[]) => unknown) => plugins.findIndex((p) => p instanceof kind);

  it('wire in dependency order: IAM, then functions, then what invokes them, event source mappings last', () => {
    expect(position(IamEnforcement)).toBe(0);
    for (const invoker of [S3Notifications, StateMachines, EventSourceMappings])
      expect(position(invoker)).toBeGreaterThan(position(LambdaFunctions));
    expect(position(EventSourceMappings)).toBe(plugins.length - 1);
  });

  it('give each template type one owner: run by one plugin, or accepted with a reason, never both', () => {
    const run = plugins.flatMap((p) => p.types);
    const accepted = plugins.flatMap((p) => Object.keys(p.accepted ?? {}));
    expect(new Set(run).size).toBe(run.length);
    expect(new Set(accepted).size).toBe(accepted.length);
    expect(run.filter((t) => accepted.includes(t))).toEqual([]);
    for (const p of plugins)
      for (const [type, reason] of Object.entries(p.accepted ?? {}))
        expect([type, reason.length > 10]).toEqual([type, true]);
  });

  it('refuse a template with a type no plugin runs or accepts, naming it, and take one they all know', () => {
    const template = {
      Resources: {
        Bucket: { Type: 'AWS::S3::Bucket' },
        Role: { Type: 'AWS::IAM::Role' },
        Key: { Type: 'AWS::KMS::Key' },
        Cache: { Type: 'AWS::ElastiCache::CacheCluster' },
      },
    };
    expect(unrunnable(plugins, template)).toMatch(
      /^The local cloud does not know how to run AWS::ElastiCache::CacheCluster \(Cache\); teach the local cloud/,
    );
    const { Cache: _, ...known } = template.Resources;
    expect(unrunnable(plugins, { Resources: known })).toBeUndefined();
  });

  it('find a plugin by its class, and say so when the cloud has none', () => {
    expect(pluginOf(plugins, LambdaFunctions)).toBeInstanceOf(LambdaFunctions);
    class Absent extends LambdaFunctions {}
    expect(() => pluginOf(plugins, Absent)).toThrow('The local cloud has no Absent plugin');
  });
});

describe('the gateway serving a plugin’s JSON API', () => {
  const api: JsonApi = {
    service: 'glue',
    targetPrefix: 'AWSGlue.',
    version: '1.1',
    handle: (action, body) => {
      if (action === 'GetDatabase') return { Database: { Name: body.Name } };
      throw new ApiError('EntityNotFoundException', `no ${action}`);
    },
  };
  const services: LocalServices = {
    api: (service) => (service === api.service ? api : undefined),
    invoke: async () => ({ ok: true, payload: null }),
    httpApi: async () => ({ statusCode: 404, headers: {}, body: '' }),
    iam: () => undefined,
    stack: () => undefined,
    functions: () => [],
  };
  const call = (url: string, target: string, body: unknown) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'x-amz-target': target,
        'content-type': 'application/x-amz-json-1.1',
        authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20261130/us-east-1/glue/aws4_request, Signature=x',
      },
      body: JSON.stringify(body),
    });

  it('routes by the credential scope to the plugin, in its protocol version, with its error types', async () => {
    const gateway = new Gateway();
    const url = await gateway.start(0);
    gateway.serve({ s3: url, kinesis: url, dynamodb: url, sqs: url }, services);
    try {
      const ok = await call(url, 'AWSGlue.GetDatabase', { Name: 'lake' });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe('application/x-amz-json-1.1');
      expect(await ok.json()).toEqual({ Database: { Name: 'lake' } });
      const missing = await call(url, 'AWSGlue.GetTable', {});
      expect(missing.status).toBe(400);
      expect(await missing.json()).toEqual({ __type: 'EntityNotFoundException', message: 'no GetTable' });
    } finally {
      await gateway.stop();
    }
  });
});
