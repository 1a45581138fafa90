import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { middy } from '../../../layers/util/middy';
import { functionTools } from '../../../layers/util/powertools';
import { invoke } from '../../helpers/lambda';

describe('the Powertools a function uses', () => {
  it('leave tracing off outside Lambda’s runtime: a captured client is the client itself', () => {
    expect(process.env.AWS_EXECUTION_ENV).toBeUndefined();
    const tools = functionTools('test-service');
    expect(tools.tracer.isTracingEnabled()).toBe(false);
    const client = new S3Client({ region: 'us-east-1' });
    expect(tools.traced(client)).toBe(client);
    client.destroy();
  });

  it('give a handler the Logger’s context and the Tracer’s capture, and the handler still answers', async () => {
    const tools = functionTools('test-service');
    expect(tools.middlewares).toHaveLength(2);
    const handler = middy(async (event: { n: number }) => ({ twice: event.n * 2 })).use(tools.middlewares);
    expect(await invoke(handler, { n: 21 })).toEqual({ twice: 42 });
  });

  it('are what every function’s handler is built with', () => {
    const root = path.join(__dirname, '..', '..', '..', 'lambdas');
    const handlers = fs.readdirSync(root).map((fn) => path.join(root, fn, 'index.ts'));
    expect(handlers.length).toBeGreaterThan(5);
    for (const file of handlers) {
      const source = fs.readFileSync(file, 'utf8');
      expect([file, /functionTools\(/.test(source), /\.use\(middlewares\)/.test(source)]).toEqual([file, true, true]);
      // Every client a handler builds is traced.
      expect([
        file,
        source.match(/(?<!traced\()\b(s3Client|dynamoDbDocumentClient|secretsManagerClient)\(\)/g),
      ]).toEqual([file, null]);
    }
  });
});

describe('the Tracer in Lambda’s runtime', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('sends the handler’s subsegment and one per AWS call to the X-Ray daemon', async () => {
    const daemon = dgram.createSocket('udp4');
    const received: string[] = [];
    daemon.on('message', (m) => received.push(m.toString('utf8')));
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    const port = daemon.address().port;
    Object.assign(process.env, {
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      AWS_LAMBDA_FUNCTION_NAME: 'traced-fn',
      LAMBDA_TASK_ROOT: '/var/task',
      _HANDLER: 'index.handler',
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${port}`,
      _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    });
    try {
      let tools!: ReturnType<typeof functionTools>;
      jest.isolateModules(() => {
        tools = (
          require('../../../layers/util/powertools') as typeof import('../../../layers/util/powertools')
        ).functionTools('traced-service');
      });
      expect(tools.tracer.isTracingEnabled()).toBe(true);
      const client = tools.traced(
        new S3Client({
          region: 'us-east-1',
          credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
          // No network: the call fails at once, and its subsegment records the failure.
          endpoint: 'http://127.0.0.1:9',
          forcePathStyle: true,
          maxAttempts: 1,
        }),
      );
      const handler = middy(async () => {
        await client.send(new ListBucketsCommand({})).catch(() => undefined);
        return 'done';
      }).use(tools.middlewares);
      expect(await invoke(handler, {})).toBe('done');
      const sent = (name: string) => received.some((m) => m.includes(`"name":"${name}"`));
      for (let i = 0; i < 250 && !(sent('S3') && sent('## index.handler')); i++)
        await new Promise((r) => setTimeout(r, 20));
      const segments = received.map((m) => JSON.parse(m.slice(m.indexOf('\n') + 1)) as { name: string });
      expect(segments.map((s) => s.name)).toEqual(expect.arrayContaining(['S3', '## index.handler']));
      client.destroy();
    } finally {
      daemon.close();
    }
  });
});
