// Makes the local S3 (s3rver) as strict as S3 where the pipeline depends on it
// (docs/decisions/013-landing-versions.md):
// - conditional requests: `If-Match` / `If-None-Match` on GET, HEAD, PUT and DELETE, and
//   `x-amz-copy-source-if-match` / `-if-none-match` on CopyObject answer 412 PreconditionFailed as S3
//   does (s3rver ignores them), and a conditional DELETE of a missing key answers 404;
// - each key's writes are serialised with its conditional checks, so "delete only if unchanged" cannot
//   interleave with an upload of new bytes to the same key;
// - `x-amz-copy-source` is decoded the way S3 decodes it (percent-decoding of the whole value, so
//   `+ & : ; = @ , $ ? # %`, spaces and non-ASCII keys copy correctly; s3rver uses decodeURI);
// - a `versionId` is refused: the local bucket is not versioned (the pipeline then uses ETags);
// - any access key is accepted (IAM is checked by the gateway, see iam.ts);
// - a listing with a delimiter reports every common prefix: s3rver skips a directory that lies beneath
//   one before it has seen an object in it, so `reports/` was missing when its objects sit deeper
//   (`aws s3 ls s3://bucket/` printed nothing);
// - a PUT answers once the object is completely on disk (s3rver answered before its write finished).
// The controllers are wrapped after s3rver's own authentication, so request signatures still verify.
const objectCtrl = require('s3rver/lib/controllers/object');
const AWSAccount = require('s3rver/lib/models/account');
const S3Error = require('s3rver/lib/models/error');
const FilesystemStore = require('s3rver/lib/stores/filesystem');
const fs = require('node:fs');
const path = require('node:path');

const OBJECT_SUFFIX = '._S3rver_object';

/** Whether a directory of the store holds at least one object, at any depth (stops at the first). */
function holdsObject(dir) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const e of entries) if (!e.isDirectory() && e.name.endsWith(OBJECT_SUFFIX)) return true;
  for (const e of entries) if (e.isDirectory() && holdsObject(path.join(dir, e.name))) return true;
  return false;
}

/**
 * The common prefixes of a delimited listing that s3rver's walk misses: for each directory whose path
 * after the prefix contains the delimiter, the key prefix up to that delimiter, if it holds an object.
 * Keys map to directories by '/', so only directories that intersect the prefix are visited.
 */
function commonPrefixesFromDirectories(bucketPath, prefix, delimiter) {
  const found = new Set();
  const visit = (dir, keyPath) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const key = `${keyPath}${e.name}/`;
      if (!(key.startsWith(prefix) || prefix.startsWith(key))) continue;
      if (key.length > prefix.length) {
        const idx = key.slice(prefix.length).indexOf(delimiter);
        if (idx !== -1) {
          const common = key.slice(0, prefix.length + idx + delimiter.length);
          if (!found.has(common) && holdsObject(path.join(dir, e.name))) found.add(common);
          continue;
        }
      }
      visit(path.join(dir, e.name), key);
    }
  };
  visit(bucketPath, '');
  return found;
}

const queues = new Map();

/** Run `fn` once every earlier operation on any of `keys` has finished. */
async function serialised(keys, fn) {
  const unique = [...new Set(keys)].sort();
  const previous = unique.map((k) => queues.get(k) ?? Promise.resolve());
  let release;
  const mine = new Promise((resolve) => {
    release = resolve;
  });
  for (const k of unique) queues.set(k, mine);
  try {
    await Promise.allSettled(previous);
    return await fn();
  } finally {
    release();
    for (const k of unique) if (queues.get(k) === mine) queues.delete(k);
  }
}

const unquote = (etag) => String(etag).trim().replace(/^W\//, '').replace(/"/g, '');

async function currentETag(ctx, bucket, key) {
  try {
    const metadata = await ctx.store.getMetadata(bucket, key);
    return unquote(metadata.etag);
  } catch {
    return undefined; // no such object
  }
}

function preconditionFailed(condition) {
  return new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
    Condition: condition,
  });
}

/** Check If-Match / If-None-Match against the object's current ETag (undefined = no object). */
function check(current, ifMatch, ifNoneMatch, names) {
  if (ifMatch !== undefined) {
    if (current === undefined) return 'missing';
    const wanted = String(ifMatch)
      .split(',')
      .map((t) => unquote(t));
    if (!wanted.includes('*') && !wanted.includes(current)) throw preconditionFailed(names[0]);
  }
  if (ifNoneMatch !== undefined && current !== undefined) {
    const unwanted = String(ifNoneMatch)
      .split(',')
      .map((t) => unquote(t));
    if (unwanted.includes('*') || unwanted.includes(current)) return 'matched';
  }
  return 'ok';
}

function keyOf(ctx) {
  return `${ctx.params.bucket}/${ctx.params.key}`;
}

/** Parse `x-amz-copy-source` the way S3 does: `[/]bucket/key[?versionId=v]`, percent-decoded. */
function parseCopySource(header) {
  let value = String(header);
  const q = value.indexOf('?');
  let versionId;
  if (q >= 0) {
    const params = new URLSearchParams(value.slice(q + 1));
    versionId = params.get('versionId') ?? undefined;
    value = value.slice(0, q);
  }
  let decoded;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    throw new S3Error('InvalidArgument', 'Invalid copy source encoding', { ArgumentName: 'x-amz-copy-source' });
  }
  if (decoded.startsWith('/')) decoded = decoded.slice(1);
  const slash = decoded.indexOf('/');
  if (slash <= 0) throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key');
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1), versionId };
}

function noVersions(versionId) {
  if (versionId !== undefined && versionId !== 'null')
    throw new S3Error('NotImplemented', 'The local bucket is not versioned: object versions are not emulated');
}

function install() {
  if (objectCtrl.__recomartConditions) return;
  objectCtrl.__recomartConditions = true;

  // Any access key is accepted, as on the rest of the local cloud (s3rver knows only S3RVER, and does
  // not verify SigV4 signatures anyway). Who may do what is the gateway's IAM check, not s3rver's.
  const registry = AWSAccount.registry;
  const get = registry.get.bind(registry);
  registry.get = (key) => get(key) ?? AWSAccount.DUMMY_ACCOUNT;
  const { getObject, putObject, putObjectCopy, deleteObject } = objectCtrl;

  // s3rver answers a PUT (and emits its event) before the object's file is fully written: it ends the
  // write stream without waiting for it. S3 never serves a stored object partly, so a PUT here
  // returns only once the file on disk has all its bytes (a notified function reading it at once
  // found it missing, or short).
  const putStored = FilesystemStore.prototype.putObject;
  FilesystemStore.prototype.putObject = async function putObjectDurably(object) {
    const result = await putStored.call(this, object);
    const file = this.getResourcePath(object.bucket, object.key, 'object');
    for (let i = 0; i < 2000; i++) {
      let size = -1;
      try {
        size = (await fs.promises.stat(file)).size;
      } catch {
        // not created yet
      }
      if (size === result.size) return result;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    throw new Error(`s3rver did not finish writing ${object.bucket}/${object.key}`);
  };

  const listObjects = FilesystemStore.prototype.listObjects;
  FilesystemStore.prototype.listObjects = async function completeCommonPrefixes(bucket, options) {
    const result = await listObjects.call(this, bucket, options);
    const delimiter = options.delimiter ?? '';
    if (!delimiter || process.platform === 'win32') return result;
    const prefix = options.prefix ?? '';
    const after = options.startAfter ?? '';
    const last = result.isTruncated ? result.objects[result.objects.length - 1]?.key : undefined;
    const all = new Set(result.commonPrefixes);
    for (const common of commonPrefixesFromDirectories(this.getBucketPath(bucket), prefix, delimiter)) {
      // As the walk does: after startAfter, and within this page when the page is truncated.
      if (common > after && (last === undefined || common < last)) all.add(common);
    }
    return { ...result, commonPrefixes: [...all].sort() };
  };

  objectCtrl.getObject = async function conditionalGet(ctx) {
    noVersions(ctx.query.versionId);
    const ifMatch = ctx.headers['if-match'];
    if (ifMatch !== undefined) {
      const current = await currentETag(ctx, ctx.params.bucket, ctx.params.key);
      if (current !== undefined) check(current, ifMatch, undefined, ['If-Match']);
    }
    return getObject(ctx);
  };

  objectCtrl.putObject = async function conditionalPut(ctx) {
    return serialised([keyOf(ctx)], async () => {
      const ifMatch = ctx.headers['if-match'];
      const ifNoneMatch = ctx.headers['if-none-match'];
      if (ifMatch !== undefined || ifNoneMatch !== undefined) {
        const current = await currentETag(ctx, ctx.params.bucket, ctx.params.key);
        const outcome = check(current, ifMatch, ifNoneMatch, ['If-Match']);
        if (outcome === 'missing') throw new S3Error('NoSuchKey', 'The specified key does not exist.');
        if (outcome === 'matched') throw preconditionFailed('If-None-Match');
      }
      return putObject(ctx);
    });
  };

  objectCtrl.putObjectCopy = async function conditionalCopy(ctx) {
    const source = parseCopySource(ctx.headers['x-amz-copy-source']);
    noVersions(source.versionId);
    return serialised([keyOf(ctx), `${source.bucket}/${source.key}`], async () => {
      const ifMatch = ctx.headers['x-amz-copy-source-if-match'];
      const ifNoneMatch = ctx.headers['x-amz-copy-source-if-none-match'];
      if (ifMatch !== undefined || ifNoneMatch !== undefined) {
        const current = await currentETag(ctx, source.bucket, source.key);
        if (current !== undefined) {
          const outcome = check(current, ifMatch, ifNoneMatch, ['x-amz-copy-source-If-Match']);
          if (outcome === 'matched') throw preconditionFailed('x-amz-copy-source-If-None-Match');
        }
      }
      // s3rver decodes the header with decodeURI; hand it a form that decodes to the exact key.
      ctx.headers['x-amz-copy-source'] = encodeURI(`${source.bucket}/${source.key}`);
      return putObjectCopy(ctx);
    });
  };

  objectCtrl.deleteObject = async function conditionalDelete(ctx) {
    noVersions(ctx.query.versionId);
    return serialised([keyOf(ctx)], async () => {
      const ifMatch = ctx.headers['if-match'];
      if (ifMatch !== undefined) {
        const current = await currentETag(ctx, ctx.params.bucket, ctx.params.key);
        const outcome = check(current, ifMatch, undefined, ['If-Match']);
        if (outcome === 'missing') throw new S3Error('NoSuchKey', 'The specified key does not exist.');
      }
      return deleteObject(ctx);
    });
  };
}

module.exports = { install };
