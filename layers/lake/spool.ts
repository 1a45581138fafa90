import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface SpooledFile {
  readonly partition: string;
  readonly path: string;
  readonly bytes: number;
  readonly md5: string;
  readonly records: number;
}

interface OpenPartition {
  readonly path: string;
  readonly fd: number;
  readonly hash: Hash;
  pending: string[];
  pendingChars: number;
  bytes: number;
  records: number;
}

/**
 * Lines sorted into per-partition files on local disk (Lambda's /tmp), so a file of any size is
 * partitioned in bounded memory: each partition buffers about `flushChars` characters before a
 * synchronous append, and its MD5 and byte count are computed over exactly the bytes written.
 */
export class PartitionSpool {
  private readonly open = new Map<string, OpenPartition>();
  private closed = false;

  constructor(
    private readonly dir: string,
    /** First line of every partition file (a CSV header), if any. */
    private readonly header?: string,
    private readonly flushChars = 32 * 1024,
  ) {
    fs.mkdirSync(dir, { recursive: true });
  }

  append(partition: string, line: string): void {
    let p = this.open.get(partition);
    if (!p) {
      if (this.closed) throw new Error('spool is closed');
      const file = path.join(this.dir, `${this.open.size}-${partition.replace(/[^A-Za-z0-9=_.-]/g, '_')}`);
      p = {
        path: file,
        fd: fs.openSync(file, 'w'),
        hash: createHash('md5'),
        pending: [],
        pendingChars: 0,
        bytes: 0,
        records: 0,
      };
      this.open.set(partition, p);
      if (this.header !== undefined) p.pending.push(this.header);
    }
    p.pending.push(line);
    p.pendingChars += line.length + 1;
    p.records++;
    if (p.pendingChars >= this.flushChars) this.flush(p);
  }

  get partitions(): number {
    return this.open.size;
  }

  /** Flush and close every partition file; returns them in the order they were opened. */
  close(): SpooledFile[] {
    this.closed = true;
    const out: SpooledFile[] = [];
    for (const [partition, p] of this.open) {
      this.flush(p);
      fs.closeSync(p.fd);
      out.push({ partition, path: p.path, bytes: p.bytes, md5: p.hash.digest('hex'), records: p.records });
    }
    return out;
  }

  /** Remove the spool directory (call after the files have been uploaded). */
  dispose(): void {
    if (!this.closed) for (const p of this.open.values()) fs.closeSync(p.fd);
    this.closed = true;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private flush(p: OpenPartition): void {
    if (p.pending.length === 0) return;
    const chunk = Buffer.from(`${p.pending.join('\n')}\n`, 'utf8');
    p.pending = [];
    p.pendingChars = 0;
    fs.writeSync(p.fd, chunk);
    p.hash.update(chunk);
    p.bytes += chunk.byteLength;
  }
}
