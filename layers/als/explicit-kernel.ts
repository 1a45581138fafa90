/**
 * Explicit ALS-WR row solves in WebAssembly SIMD (layers/als/explicit-kernel.wat; decision 026).
 * `load` copies the fixed side of a half-sweep (its factors and biases) into the module's memory;
 * `solveRow` then gathers one row's rated factor rows a cache-sized chunk at a time, builds its
 * (k+1)×(k+1) system, factors it and returns [p, bias]. One instance per thread (`explicitKernel()`);
 * its memory grows to the largest fixed side and row it has seen, and is reused across ranks.
 */
import { EXPLICIT_KERNEL_WASM } from './explicit-kernel.wasm';

interface Exports {
  memory: WebAssembly.Memory;
  layout(
    pY: number,
    pBy: number,
    pIdx: number,
    pVal: number,
    pR: number,
    pT: number,
    pA: number,
    pB: number,
    pX: number,
    k: number,
    kr: number,
    sA: number,
    chunk: number,
    mean: number,
  ): void;
  solveRow(count: number, reg: number): void;
  squaredErrors(count: number, bias: number): number;
}

const PAGE = 65_536;
/** A 32-bit WebAssembly memory's ceiling (65,536 pages). */
const MAX_BYTES = 65_536 * PAGE;
/** Bytes of R per chunk: a row's rated factor rows go through the Gram kernel this many at a time. */
const CHUNK_BYTES = 32_768;
const align16 = (n: number) => Math.ceil(n / 16) * 16;
let compiled: WebAssembly.Module | undefined;
let threadKernel: ExplicitKernel | undefined;

/** This thread's kernel. */
export function explicitKernel(): ExplicitKernel {
  threadKernel ??= new ExplicitKernel();
  return threadKernel;
}

export class ExplicitKernel {
  private readonly wasm: Exports;
  private rank = 0;
  private mean = 0;
  /** Byte offsets of the loaded layout (see the .wat's header). */
  private at = { Y: 0, By: 0, Idx: 0, Val: 0, R: 0, T: 0, A: 0, B: 0, X: 0, kr: 0, sA: 0, chunk: 0 };
  private capacity = 0;
  private idx = new Int32Array(0);
  private val = new Float32Array(0);
  private x = new Float64Array(0);

  constructor() {
    compiled ??= new WebAssembly.Module(Buffer.from(EXPLICIT_KERNEL_WASM, 'base64'));
    this.wasm = new WebAssembly.Instance(compiled).exports as unknown as Exports;
  }

  /** The fixed side of a half-sweep: `Y` (rows × k, row-major) and its biases `by`; `mean` the global mean. */
  load(Y: Float32Array, by: Float32Array, k: number, mean: number): void {
    const kr = Math.ceil(k / 4) * 4;
    const sA = kr + 2;
    const chunk = Math.max(8, Math.floor(CHUNK_BYTES / (kr * 8)));
    const A = 0;
    const B = A + align16((kr + 1) * sA * 8);
    const X = B + align16((kr + 2) * 8);
    const R = X + align16((kr + 2) * 8);
    const T = R + chunk * kr * 8;
    const Y0 = T + align16(chunk * 8);
    const By = Y0 + align16(Y.length * 4);
    const Idx = By + align16(by.length * 4);
    this.at = { Y: Y0, By, Idx, Val: Idx, R, T, A, B, X, kr, sA, chunk };
    this.rank = k;
    this.mean = mean;
    this.capacity = 0;
    this.reserve(1024);
    new Float32Array(this.wasm.memory.buffer, Y0, Y.length).set(Y);
    new Float32Array(this.wasm.memory.buffer, By, by.length).set(by);
  }

  /** Room for a row of `count` ratings (Idx and Val sit at the end of the memory). */
  private reserve(count: number): void {
    if (count <= this.capacity) return;
    const capacity = Math.max(count, this.capacity * 2);
    const at = this.at;
    at.Val = at.Idx + align16(capacity * 4);
    const bytes = at.Val + capacity * 4;
    if (bytes > MAX_BYTES)
      throw new Error(
        `explicit ALS: the fixed side (${at.By - at.Y} bytes of factors) and a row of ${count} ratings do not fit the kernel's 4 GiB of WebAssembly memory`,
      );
    const memory = this.wasm.memory;
    if (bytes > memory.buffer.byteLength) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
    this.idx = new Int32Array(memory.buffer, at.Idx, capacity);
    this.val = new Float32Array(memory.buffer, at.Val, capacity);
    // X beyond the solution must be zero: squaredErrors dots it with R's padded rows.
    this.x = new Float64Array(memory.buffer, at.X, at.kr + 2).fill(0);
    this.wasm.layout(
      at.Y,
      at.By,
      at.Idx,
      at.Val,
      at.R,
      at.T,
      at.A,
      at.B,
      at.X,
      this.rank,
      at.kr,
      at.sA,
      at.chunk,
      this.mean,
    );
    this.capacity = capacity;
  }

  /**
   * Solve the row whose ratings are `values` at the loaded side's rows `indices` (both from `start`,
   * `count` of them): (R'ᵀR' + reg·I) x = R'ᵀt, where R' is the rated rows with a column of ones
   * and t the ratings less the mean and the rated rows' biases. Returns x = [p_0 .. p_{k−1}, bias],
   * a view valid until the next call.
   */
  solveRow(indices: Int32Array, values: Float32Array, start: number, count: number, reg: number): Float64Array {
    this.reserve(count);
    this.idx.set(indices.subarray(start, start + count));
    this.val.set(values.subarray(start, start + count));
    this.wasm.solveRow(count, reg);
    return this.x;
  }

  /**
   * The squared errors of the row last solved, with its factors and bias as stored (k values of
   * `stored` from `offset`, and `bias`): Σ_j (t_j − bias − r_j·stored)².
   */
  squaredErrors(count: number, stored: Float32Array, offset: number, bias: number): number {
    const x = this.x;
    const k = this.rank;
    for (let a = 0; a < k; a++) x[a] = stored[offset + a] as number;
    x[k] = 0;
    return this.wasm.squaredErrors(count, bias);
  }
}
