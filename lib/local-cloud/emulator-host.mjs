// Child process that hosts the in-process emulators of the local cloud: S3 (s3rver), DynamoDB
// (dynalite) and SQS (fauxqs). It runs as plain Node ESM so it can load the ESM-only fauxqs, and with
// --openssl-legacy-provider, which s3rver needs to page ListObjectsV2 (see shared notes/emulators.md).
// Protocol (IPC): parent sends {type:'start', stateDir}; child answers {type:'ready', ports} or
// {type:'error', message}; S3 notifications arrive as {type:'s3event', record}; {type:'stop'} ends it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

let servers = [];
let sqsServer;
let dataDir;

async function start(stateDir) {
  // Conditional requests and S3's copy-source decoding (see s3rver-conditions.cjs).
  require('./s3rver-conditions.cjs').install();
  const S3rver = require('s3rver');
  const dynalite = require('dynalite');
  const { startFauxqs } = await import('fauxqs');

  mkdirSync(join(stateDir, 's3'), { recursive: true });
  mkdirSync(join(stateDir, 'dynamodb'), { recursive: true });

  const s3 = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: join(stateDir, 's3'),
    resetOnClose: false,
    allowMismatchedSignatures: false,
  });
  const s3Address = await s3.run();
  s3.on('event', (event) => {
    for (const record of event.Records ?? []) process.send?.({ type: 's3event', record });
  });
  servers.push(() => new Promise((resolve) => s3.close(() => resolve())));

  const ddb = dynalite({ path: join(stateDir, 'dynamodb'), createTableMs: 20, deleteTableMs: 20, updateTableMs: 20 });
  await new Promise((resolve, reject) => ddb.listen(0, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  servers.push(() => new Promise((resolve) => ddb.close(() => resolve())));

  const sqs = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
  servers.push(() => sqs.stop());
  sqsServer = sqs;
  dataDir = stateDir;

  return { s3: s3Address.port, dynamodb: ddb.address().port, sqs: sqs.port };
}

/**
 * fauxqs keeps messages in memory only: write every message of the named queues (ready, delayed and
 * in flight, which a restart makes visible again) where the next start restores them from.
 */
function saveQueues(names) {
  if (!sqsServer || !dataDir || names.length === 0) return;
  const saved = {};
  for (const name of names) {
    const queue = sqsServer.inspectQueue(name);
    if (!queue) continue;
    const all = [...queue.messages.ready, ...queue.messages.delayed, ...queue.messages.inflight.map((e) => e.message)];
    saved[name] = all
      .sort((a, b) => a.sentTimestamp - b.sentTimestamp)
      .map((m) => ({
        body: m.body,
        messageAttributes: m.messageAttributes,
        ...(m.messageGroupId ? { messageGroupId: m.messageGroupId } : {}),
        ...(m.messageDeduplicationId ? { messageDeduplicationId: m.messageDeduplicationId } : {}),
        sentTimestamp: m.sentTimestamp,
        receiveCount: m.approximateReceiveCount,
      }));
  }
  mkdirSync(join(dataDir, 'sqs'), { recursive: true });
  writeFileSync(join(dataDir, 'sqs', 'messages.json'), `${JSON.stringify(saved)}\n`);
}

async function stop() {
  const closing = servers;
  servers = [];
  await Promise.allSettled(closing.map((close) => close()));
}

process.on('message', async (message) => {
  if (message?.type === 'start') {
    try {
      const ports = await start(message.stateDir);
      process.send?.({ type: 'ready', ports });
    } catch (err) {
      process.send?.({ type: 'error', message: err instanceof Error ? err.stack : String(err) });
    }
  } else if (message?.type === 'sync') {
    // A barrier: the IPC channel is ordered, and s3rver emits an object's event before it answers the
    // request, so every event of a request the parent has seen answered arrives before this reply.
    process.send?.({ type: 'synced', id: message.id });
  } else if (message?.type === 'stop') {
    try {
      saveQueues(message.queues ?? []);
    } catch (err) {
      console.error(`saving the SQS messages failed: ${err instanceof Error ? err.stack : err}`);
    }
    await stop();
    process.exit(0);
  }
});

// The parent stops this process (it runs in a process group of its own, so a terminal's Ctrl-C does
// not reach it first). SIGTERM from elsewhere stops it cleanly too.
process.on('SIGTERM', () => {
  stop().finally(() => process.exit(0));
});

// The parent going away (even by SIGKILL) closes the IPC channel: never outlive it.
process.on('disconnect', () => {
  stop().finally(() => process.exit(0));
});
