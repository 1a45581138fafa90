import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  CRITICAL_FAILURES_METRIC,
  publishCriticalFailure,
  QUALITY_NAMESPACE,
  QUALITY_SERVICE,
} from '../../layers/quality/metrics';
import { createApp } from '../../lib/app';
import { type CfnTemplate, TemplateResolver } from '../../lib/local-cloud/template';
import { appWithoutBundling } from '../helpers/synth';

/**
 * What only AWS would show, checked on the synthesized assembly: bundles that load with nothing beside
 * them, images built for the tasks' CPU, alarms on metrics that are really emitted, a destroyable dev
 * stack, an API that is not open by default, and grants that do not reach past their prefixes.
 */
describe('the synthesized app, as AWS will run it', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'recomart-assembly-'));
  let template: CfnTemplate;
  let assets: { dockerImages: Record<string, { source: { directory: string; platform?: string } }> };
  beforeAll(() => {
    const { app, stack } = createApp({ context: { stage: 'dev' }, outdir, nag: false });
    app.synth();
    template = JSON.parse(fs.readFileSync(path.join(outdir, `${stack.stackName}.template.json`), 'utf8'));
    assets = JSON.parse(fs.readFileSync(path.join(outdir, `${stack.stackName}.assets.json`), 'utf8'));
  }, 120_000);
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  it('gives every function a bundle of at most 1.5 MB that loads alone, AWS SDK included', () => {
    const resolver = new TemplateResolver('RecoMart-dev', template);
    const functions = resolver
      .resourcesOfType('AWS::Lambda::Function')
      .filter(([, r]) => String((r.Properties?.Runtime as string) ?? '').startsWith('nodejs'))
      .filter(([, r]) => r.Properties?.Handler === 'index.handler')
      // CDK's own custom-resource providers are written for the runtime's SDK: only ours are checked.
      .filter(([id]) => !id.startsWith('Custom'));
    expect(functions.length).toBeGreaterThanOrEqual(11);
    for (const [id, r] of functions) {
      const asset = path.join(outdir, String(r.Metadata?.['aws:asset:path']));
      const bundle = path.join(asset, 'index.js');
      expect(fs.statSync(bundle).size).toBeLessThanOrEqual(1.5 * 1024 * 1024);
      // Alone in an empty folder, as Lambda unpacks it: only its layers at /opt/nodejs/node_modules.
      const alone = fs.mkdtempSync(path.join(os.tmpdir(), `bundle-${id}-`));
      fs.copyFileSync(bundle, path.join(alone, 'index.js'));
      const layers = ((r.Properties?.Layers as { Ref: string }[] | undefined) ?? []).map((l) =>
        path.join(outdir, String(template.Resources[l.Ref]?.Metadata?.['aws:asset:path']), 'nodejs', 'node_modules'),
      );
      const variables = (resolver.resolve(r.Properties?.Environment) as { Variables?: Record<string, unknown> })
        ?.Variables;
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        NODE_PATH: layers.join(':'),
      };
      for (const [k, v] of Object.entries(variables ?? {})) env[k] = String(v);
      delete env.NODE_OPTIONS;
      try {
        const out = execFileSync(
          process.execPath,
          ['-e', "const m = require('./index.js'); if (typeof m.handler !== 'function') throw new Error('no handler')"],
          { cwd: alone, env, stdio: 'pipe' },
        );
        expect(out.toString()).toBe('');
      } catch (err) {
        throw new Error(`${id} does not load alone: ${(err as { stderr?: Buffer }).stderr?.toString().slice(0, 500)}`);
      } finally {
        fs.rmSync(alone, { recursive: true, force: true });
      }
    }
  }, 120_000);

  it('builds each task image for the CPU its task definition asks for', () => {
    const defs = Object.values(template.Resources).filter((r) => r.Type === 'AWS::ECS::TaskDefinition');
    expect(defs).toHaveLength(2);
    for (const def of defs) {
      const arch = (def.Properties?.RuntimePlatform as { CpuArchitecture: string }).CpuArchitecture;
      const image = JSON.stringify((def.Properties?.ContainerDefinitions as { Image: unknown }[])[0]?.Image);
      const hash = Object.keys(assets.dockerImages).find((h) => image.includes(h));
      expect(hash).toBeDefined();
      const platform = assets.dockerImages[hash as string]?.source.platform;
      expect(platform).toBe(arch === 'ARM64' ? 'linux/arm64' : 'linux/amd64');
      // What the image copies: bundles without source maps nothing reads (neither files nor inline).
      const dir = path.join(outdir, assets.dockerImages[hash as string]?.source.directory ?? '');
      for (const file of fs.readdirSync(dir).filter((f) => /\.(c?js|map)$/.test(f))) {
        expect(file).not.toMatch(/\.map$/);
        expect(fs.readFileSync(path.join(dir, file), 'utf8')).not.toMatch(/sourceMappingURL=data:/);
      }
      const env = (def.Properties?.ContainerDefinitions as { Environment?: { Name: string }[] }[])[0]?.Environment;
      expect(env?.map((e) => e.Name)).toContain('CODE_VERSION');
    }
  });

  it('has every alarm watch a metric something emits, with the dimensions it is emitted with', () => {
    // AWS's own metrics and the dimension sets AWS publishes them with; ours from the code that emits them.
    // What the validate function prints, as Powertools writes it to stdout.
    const printed: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      publishCriticalFailure(
        new Metrics({ namespace: QUALITY_NAMESPACE, serviceName: QUALITY_SERVICE }),
        'transactions',
        true,
      );
    } finally {
      write.mockRestore();
    }
    type Emf = {
      _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
    };
    const emfs = printed.flatMap((text) => text.split('\n').filter(Boolean)).map((line) => JSON.parse(line) as Emf);
    expect(emfs).toHaveLength(2);
    const emitted: Record<string, string[][]> = {
      'AWS/Lambda Errors': [['FunctionName'], []],
      'AWS/Lambda IteratorAge': [['FunctionName'], []],
      'AWS/SQS ApproximateNumberOfMessagesVisible': [['QueueName']],
      'AWS/States ExecutionsFailed': [['StateMachineArn']],
    };
    for (const emf of emfs)
      for (const set of emf._aws.CloudWatchMetrics)
        for (const m of set.Metrics)
          emitted[`${set.Namespace} ${m.Name}`] = [...(emitted[`${set.Namespace} ${m.Name}`] ?? []), ...set.Dimensions];
    expect(emitted[`${QUALITY_NAMESPACE} ${CRITICAL_FAILURES_METRIC}`]).toBeDefined();
    const alarms = Object.values(template.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(5);
    for (const alarm of alarms) {
      const p = alarm.Properties as { Namespace: string; MetricName: string; Dimensions?: { Name: string }[] };
      const sets = emitted[`${p.Namespace} ${p.MetricName}`];
      expect([p.Namespace, p.MetricName, sets !== undefined]).toEqual([p.Namespace, p.MetricName, true]);
      const names = (p.Dimensions ?? []).map((d) => d.Name).sort();
      expect(sets?.some((set) => JSON.stringify([...set].sort()) === JSON.stringify(names))).toBe(true);
    }
  });

  it('lets the dev stack be destroyed with data in it, and keeps data and logs in prod', () => {
    const dev = Template.fromJSON(template as never);
    expect(Object.keys(dev.findResources('Custom::S3AutoDeleteObjects'))).toHaveLength(2);
    const prod = Template.fromStack(appWithoutBundling({ stage: 'prod' }).stack);
    expect(prod.findResources('Custom::S3AutoDeleteObjects')).toEqual({});
    for (const group of Object.values(prod.findResources('AWS::Logs::LogGroup')))
      expect(group).toMatchObject({ DeletionPolicy: 'Retain' });
  });

  it('requires IAM (SigV4) on the recommendations API unless a stage opts out, and offers a policy to call it', () => {
    const dev = Template.fromJSON(template as never);
    dev.hasResourceProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'AWS_IAM' });
    dev.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'execute-api:Invoke' })] },
    });
    const open = Template.fromStack(
      appWithoutBundling({ stage: 'dev', 'recomart:config': { api: { auth: 'none' } } }).stack,
    );
    open.hasResourceProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'NONE' });
  });

  it('gives CheckInputs, which reads two objects per raw version, minutes rather than the default seconds', () => {
    const [fn] = Object.entries(template.Resources).filter(
      ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('TrainingPipelineCheckInputsFunction'),
    );
    expect(Number(fn?.[1].Properties?.Timeout)).toBeGreaterThanOrEqual(300);
  });

  it('never lets a role delete object versions of raw/, nor list the lake beyond its prefixes', () => {
    const statements = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((r) => (r.Properties?.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
    const resolver = new TemplateResolver('RecoMart-dev', template);
    for (const st of statements) {
      const actions = ([] as string[]).concat(st.Action as string | string[]);
      const resources = JSON.stringify(resolver.resolve(st.Resource));
      if (actions.some((a) => a === 's3:DeleteObjectVersion' || a === 's3:DeleteObject*'))
        expect(resources).not.toMatch(/\/raw\//);
      if (actions.some((a) => a === 's3:ListBucket' || a === 's3:List*') && /lakebucket[a-z0-9]*"\]?$/i.test(resources))
        expect(st.Condition).toMatchObject({ StringLike: { 's3:prefix': expect.any(Array) } });
    }
  });
});
