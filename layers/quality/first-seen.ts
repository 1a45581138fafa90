/**
 * Where each key was first seen, for uniqueness checks over millions of rows: the keys' characters
 * live in one growing Uint16Array and the table in a typed array (open addressing, linear probing),
 * so a million keys cost a few typed arrays instead of a million retained strings and Map entries
 * for the garbage collector to trace and promote. Keys are compared exactly, character by character.
 */
export class FirstSeen {
  private mask = (1 << 12) - 1;
  /** Per slot, side by side (one probe, one cache line): entry number + 1 (0: empty), the key's hash. */
  private table = new Int32Array(2 << 12);
  /** Per entry: where its characters start in `chars` (entry n ends where n + 1 starts), its first row. */
  private starts = new Int32Array(1 << 10);
  private rows = new Float64Array(1 << 10);
  private chars = new Uint16Array(1 << 14);
  private used = 0;
  private entries = 0;
  private lastSlot = 0;
  private lastHash = 0;

  get size(): number {
    return this.entries;
  }

  /** The row `key` was first seen at, or -1. */
  firstOf(key: string): number {
    const h = hash(key);
    for (let slot = h & this.mask; ; slot = (slot + 1) & this.mask) {
      const entry = this.table[slot * 2] as number;
      if (entry === 0) return -1;
      if (this.table[slot * 2 + 1] === h && this.equals(entry - 1, key)) return this.rows[entry - 1] as number;
    }
  }

  /** The row `key` was first seen at, or -1 (and `row` is remembered as its first). */
  firstOrAdd(key: string, row: number): number {
    const h = hash(key);
    let slot = h & this.mask;
    for (;;) {
      const entry = this.table[slot * 2] as number;
      if (entry === 0) break;
      if (this.table[slot * 2 + 1] === h && this.equals(entry - 1, key)) return this.rows[entry - 1] as number;
      slot = (slot + 1) & this.mask;
    }
    this.append(key, row);
    this.table[slot * 2] = this.entries;
    this.table[slot * 2 + 1] = h;
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
    const at = this.reserve(key.length, row);
    for (let i = 0; i < key.length; i++) this.chars[at + i] = key.charCodeAt(i);
  }

  /** Room for a new entry of `length` characters first seen at `row`; returns where its characters go. */
  private reserve(length: number, row: number): number {
    if (this.used + length > this.chars.length) {
      const chars = new Uint16Array(Math.max(this.chars.length * 2, this.used + length));
      chars.set(this.chars);
      this.chars = chars;
    }
    if (this.entries === this.starts.length) {
      const starts = new Int32Array(this.starts.length * 2);
      starts.set(this.starts);
      this.starts = starts;
      const rows = new Float64Array(this.rows.length * 2);
      rows.set(this.rows);
      this.rows = rows;
    }
    const at = this.used;
    this.starts[this.entries] = at;
    this.rows[this.entries] = row;
    this.used += length;
    this.entries++;
    return at;
  }

  /**
   * `firstOf` for the ASCII key in `bytes[start, end)` (its characters are its bytes, so it hashes
   * and compares as that string does). When absent, remembers where the probe stopped for `addLast`.
   */
  lookupBytes(bytes: Uint8Array, start: number, end: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = start; i < end; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
    const { table, mask } = this;
    let slot = h & mask;
    for (;;) {
      const entry = table[slot * 2] as number;
      if (entry === 0) break;
      if (table[slot * 2 + 1] === h && this.equalsBytes(entry - 1, bytes, start, end))
        return this.rows[entry - 1] as number;
      slot = (slot + 1) & mask;
    }
    this.lastSlot = slot;
    this.lastHash = h;
    return -1;
  }

  /** Add the key the last `lookupBytes` did not find (nothing added since), first seen at `row`. */
  addLast(bytes: Uint8Array, start: number, end: number, row: number): void {
    const at = this.reserve(end - start, row);
    const chars = this.chars;
    for (let i = start; i < end; i++) chars[at + i - start] = bytes[i] as number;
    this.table[this.lastSlot * 2] = this.entries;
    this.table[this.lastSlot * 2 + 1] = this.lastHash;
    if (this.entries * 2 > this.mask) this.grow();
  }

  private equalsBytes(entry: number, bytes: Uint8Array, start: number, end: number): boolean {
    const from = this.starts[entry] as number;
    const to = entry + 1 < this.entries ? (this.starts[entry + 1] as number) : this.used;
    if (to - from !== end - start) return false;
    const chars = this.chars;
    for (let i = 0; i < to - from; i++) if (chars[from + i] !== bytes[start + i]) return false;
    return true;
  }

  private grow(): void {
    const size = (this.mask + 1) * 2;
    const table = new Int32Array(size * 2);
    const mask = size - 1;
    for (let i = 0; i <= this.mask; i++) {
      const entry = this.table[i * 2] as number;
      if (entry === 0) continue;
      const h = this.table[i * 2 + 1] as number;
      let slot = h & mask;
      while (table[slot * 2] !== 0) slot = (slot + 1) & mask;
      table[slot * 2] = entry;
      table[slot * 2 + 1] = h;
    }
    this.table = table;
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
 * A read-only set of keys for referential checks. Keys of at most 8 ASCII characters (ids usually
 * are) sit inline in the table, two 32-bit words a slot, so a lookup is one probe into one array:
 * the reference tables are read once per row and a chain of dependent loads (slot, entry, start,
 * characters) cost more than the rest of the check. Other keys go to a FirstSeen.
 */
export class PackedKeySet {
  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly others = new FirstSeen();
  private count = 0;

  constructor(keys: Iterable<string>) {
    const all = [...new Set(keys)];
    let size = 1 << 4;
    while (size < all.length * 2) size *= 2;
    this.mask = size - 1;
    this.table = new Int32Array(size * 2);
    for (const key of all) {
      this.count++;
      if (!packString(key)) {
        this.others.firstOrAdd(key, 0);
        continue;
      }
      let slot = mix(packedLo, packedHi) & this.mask;
      while (this.table[slot * 2] !== 0 || this.table[slot * 2 + 1] !== 0) slot = (slot + 1) & this.mask;
      this.table[slot * 2] = packedLo;
      this.table[slot * 2 + 1] = packedHi;
    }
  }

  get size(): number {
    return this.count;
  }

  has(key: string): boolean {
    return packString(key) ? this.find(packedLo, packedHi) : this.others.firstOf(key) >= 0;
  }

  /** `has` for the ASCII key in `bytes[start, end)`. */
  hasBytes(bytes: Uint8Array, start: number, end: number): boolean {
    const n = end - start;
    if (n < 1 || n > 8) return this.others.lookupBytes(bytes, start, end) >= 0;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < n; i++) {
      const c = bytes[start + i] as number;
      if (c === 0 || c > 127) return this.others.lookupBytes(bytes, start, end) >= 0;
      if (i < 4) lo |= c << (8 * i);
      else hi |= c << (8 * (i - 4));
    }
    return this.find(lo, hi);
  }

  private find(lo: number, hi: number): boolean {
    const table = this.table;
    for (let slot = mix(lo, hi) & this.mask; ; slot = (slot + 1) & this.mask) {
      const a = table[slot * 2] as number;
      const b = table[slot * 2 + 1] as number;
      if (a === lo && b === hi) return true;
      if (a === 0 && b === 0) return false;
    }
  }
}

/** The last key `packString` packed: its first four and next four characters, little-endian. */
let packedLo = 0;
let packedHi = 0;

/** Pack a key of 1 to 8 characters in 1..127 into packedLo/packedHi; false for any other key. */
function packString(key: string): boolean {
  if (key.length < 1 || key.length > 8) return false;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c === 0 || c > 127) return false;
    if (i < 4) lo |= c << (8 * i);
    else hi |= c << (8 * (i - 4));
  }
  packedLo = lo;
  packedHi = hi;
  return true;
}

function mix(lo: number, hi: number): number {
  const h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  return h ^ (h >>> 15);
}
