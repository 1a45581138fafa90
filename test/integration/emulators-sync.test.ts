import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { kinesisClient } from '../../layers/aws/clients';
import {
  Emulators,
  freePort,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type RawS3Record,
} from '../../lib/local-cloud/emulators';

/**
 * The local cloud's settle() relies on this barrier: S3 events travel from the emulator host over IPC
 * and can trail the HTTP response, but after sync() every event of an answered request has arrived.
 */
describe('emulator host sync barrier', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'recomart-sync-'));
  const seen: string[] = [];
  const emulators = new Emulators(stateDir, (record: RawS3Record) => seen.push(record.s3.object.key));
  let s3: S3Client;

  beforeAll(async () => {
    const endpoints = await emulators.start();
    s3 = new S3Client({
      endpoint: endpoints.s3,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      forcePathStyle: true,
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'sync' }));
  });
  afterAll(async () => {
    s3.destroy();
    await emulators.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('delivers the event of every answered PutObject before sync() resolves', async () => {
    for (let i = 0; i < 40; i++) {
      const keys = Array.from({ length: 5 }, (_, j) => `k/${i}-${j}`);
      await Promise.all(keys.map((Key) => s3.send(new PutObjectCommand({ Bucket: 'sync', Key, Body: Key }))));
      await emulators.sync();
      for (const key of keys) expect(seen).toContain(key);
    }
    expect(seen).toHaveLength(200);
  });
});

/** The SDK configuration for an emulator's endpoint (the one client factory: HTTP/1.1, as kinesis-local needs). */
const localEnv = (endpoint: string) => ({
  AWS_ENDPOINT_URL: endpoint,
  AWS_REGION: LOCAL_REGION,
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
});

describe('kinesis-local start', () => {
  it('starts on other ports when the chosen one is taken before the emulator binds it', async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'recomart-taken-'));
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const taken = (holder.address() as net.AddressInfo).port;
    const handedOut: number[] = [];
    const choose = async () => {
      const port = handedOut.length === 0 ? taken : await freePort();
      handedOut.push(port);
      return port;
    };
    const emulators = new Emulators(stateDir, () => undefined, undefined, { choosePort: choose });
    try {
      const endpoints = await emulators.start();
      expect(handedOut[0]).toBe(taken);
      expect(handedOut).toHaveLength(2);
      expect(endpoints.kinesis).toBe(`http://127.0.0.1:${handedOut[1]}`);
      const kinesis = kinesisClient({ env: localEnv(endpoints.kinesis) });
      expect((await kinesis.send(new ListStreamsCommand({}))).StreamNames).toEqual([]);
      kinesis.destroy();
      expect(fs.readFileSync(path.join(stateDir, 'logs', 'kinesis-local.log'), 'utf8')).toContain('EADDRINUSE');
    } finally {
      await emulators.stop();
      holder.close();
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('emulator start deadlines', () => {
  it('are not missed because this thread was busy while the emulators started (a cold synth blocks it)', async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'recomart-busy-'));
    const emulators = new Emulators(stateDir, () => undefined, undefined, { startTimeoutMs: 3_000 });
    try {
      const started = emulators.start();
      const busyUntil = Date.now() + 6_000;
      while (Date.now() < busyUntil) {
        // a synchronous synth: no timer, no message is handled meanwhile
      }
      const endpoints = await started;
      const kinesis = kinesisClient({ env: localEnv(endpoints.kinesis) });
      expect((await kinesis.send(new ListStreamsCommand({}))).StreamNames).toEqual([]);
      kinesis.destroy();
    } finally {
      await emulators.stop();
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  }, 60_000);
});
