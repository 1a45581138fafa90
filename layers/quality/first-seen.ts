/**
 * Where each key was first seen, for uniqueness checks over millions of rows: the keys' characters
 * live in one growing Uint16Array and the table in typed arrays (open addressing, linear probing),
 * so a million keys cost a few typed arrays instead of a million retained strings and Map entries
 * for the garbage collector to trace and promote. Keys are compared exactly, character by character.
 */
export class FirstSeen {
  private mask = (1 << 12) - 1;
  /** Per slot: entry number + 1 (0: empty), and the key's hash. */
  private slots = new Int32Array(1 << 12);
  private hashes = new Int32Array(1 << 12);
  /** Per entry: where its characters start in `chars` (entry n ends where n + 1 starts), its first row. */
  private starts = new Int32Array(1 << 10);
  private rows = new Float64Array(1 << 10);
  private chars = new Uint16Array(1 << 14);
  private used = 0;
  private entries = 0;

  get size(): number {
    return this.entries;
  }

  /** The row `key` was first seen at, or -1. */
  firstOf(key: string): number {
    const h = hash(key);
    for (let slot = h & this.mask; ; slot = (slot + 1) & this.mask) {
      const entry = this.slots[slot] as number;
      if (entry === 0) return -1;
      if (this.hashes[slot] === h && this.equals(entry - 1, key)) return this.rows[entry - 1] as number;
    }
  }

  /** The row `key` was first seen at, or -1 (and `row` is remembered as its first). */
  firstOrAdd(key: string, row: number): number {
    const h = hash(key);
    let slot = h & this.mask;
    for (;;) {
      const entry = this.slots[slot] as number;
      if (entry === 0) break;
      if (this.hashes[slot] === h && this.equals(entry - 1, key)) return this.rows[entry - 1] as number;
      slot = (slot + 1) & this.mask;
    }
    this.append(key, row);
    this.slots[slot] = this.entries;
    this.hashes[slot] = h;
    if (this.entries * 2 > this.mask) this.grow();
    return -1;
  }

  private equals(entry: number, key: string): boolean {
    const start = this.starts[entry] as number;
    const end = entry + 1 < this.entries ? (this.starts[entry + 1] as number) : this.used;
    if (end - start !== key.length) return false;
    const chars = this.chars;
    for (let i = 0; i < key.length; i++) if (chars[start + i] !== key.charCodeAt(i)) return false;
    return true;
  }

  private append(key: string, row: number): void {
    if (this.used + key.length > this.chars.length) {
      const chars = new Uint16Array(Math.max(this.chars.length * 2, this.used + key.length));
      chars.set(this.chars);
      this.chars = chars;
    }
    for (let i = 0; i < key.length; i++) this.chars[this.used + i] = key.charCodeAt(i);
    if (this.entries === this.starts.length) {
      const starts = new Int32Array(this.starts.length * 2);
      starts.set(this.starts);
      this.starts = starts;
      const rows = new Float64Array(this.rows.length * 2);
      rows.set(this.rows);
      this.rows = rows;
    }
    this.starts[this.entries] = this.used;
    this.rows[this.entries] = row;
    this.used += key.length;
    this.entries++;
  }

  private grow(): void {
    const size = (this.mask + 1) * 2;
    const slots = new Int32Array(size);
    const hashes = new Int32Array(size);
    const mask = size - 1;
    for (let i = 0; i <= this.mask; i++) {
      const entry = this.slots[i] as number;
      if (entry === 0) continue;
      const h = this.hashes[i] as number;
      let slot = h & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = entry;
      hashes[slot] = h;
    }
    this.slots = slots;
    this.hashes = hashes;
    this.mask = mask;
  }
}

/** FNV-1a over UTF-16 code units, as a signed 32-bit integer (what the Int32Array stores). */
function hash(key: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h;
}

/**
 * A read-only set of keys packed the same way, for referential checks: a lookup touches two typed
 * arrays, not a key string somewhere on the heap.
 */
export class PackedKeySet {
  private readonly keys = new FirstSeen();

  constructor(keys: Iterable<string>) {
    for (const key of keys) this.keys.firstOrAdd(key, 0);
  }

  get size(): number {
    return this.keys.size;
  }

  has(key: string): boolean {
    return this.keys.firstOf(key) >= 0;
  }
}
