;; Explicit ALS-WR row solves, in WebAssembly with 128-bit SIMD (two f64 lanes).
;; The source of layers/als/explicit-kernel.wasm.ts (`npm run build:wasm`); decision 026 says why.
;;
;; Memory (byte addresses chosen by the caller, layers/als/explicit-kernel.ts, and set by `layout`):
;;   Y, By: the fixed side's factors (nY × k float32, row-major) and biases (nY float32), copied in
;;      once per half-sweep. Idx, Val: one row's ratings (int32 columns of Y, float32 values).
;;   R: up to `chunk` rows of kr f64, row-major: rated rows of Y (k values, then zero padding up to
;;      kr, a multiple of 4), widened. T: `chunk` f64, their targets (rating − mean − By[column]).
;;      A row's ratings go through R a chunk at a time, so R stays in cache however long the row.
;;   A: the (k+1)×(k+1) system, row-major with row stride sA f64 (sA ≥ kr + 1); only the lower
;;      triangle is read. Rows 0..k−1 are RᵀR, row k the bias row (column sums of R, then count).
;;   B: kr + 1 f64, the right-hand side; X: kr + 1 f64, the solution [p, bias] (zero beyond).
(module
  (memory (export "memory") 1)

  (global $pY (mut i32) (i32.const 0))
  (global $pBy (mut i32) (i32.const 0))
  (global $pIdx (mut i32) (i32.const 0))
  (global $pVal (mut i32) (i32.const 0))
  (global $pR (mut i32) (i32.const 0))
  (global $pT (mut i32) (i32.const 0))
  (global $pA (mut i32) (i32.const 0))
  (global $pB (mut i32) (i32.const 0))
  (global $pX (mut i32) (i32.const 0))
  (global $k (mut i32) (i32.const 0))
  (global $kr (mut i32) (i32.const 0))
  (global $sA (mut i32) (i32.const 0))
  (global $chunk (mut i32) (i32.const 0))
  (global $mean (mut f64) (f64.const 0))

  (func (export "layout") (param $pY i32) (param $pBy i32) (param $pIdx i32) (param $pVal i32) (param $pR i32)
    (param $pT i32) (param $pA i32) (param $pB i32) (param $pX i32) (param $k i32) (param $kr i32) (param $sA i32)
    (param $chunk i32) (param $mean f64)
    (global.set $pY (local.get $pY)) (global.set $pBy (local.get $pBy)) (global.set $pIdx (local.get $pIdx))
    (global.set $pVal (local.get $pVal)) (global.set $pR (local.get $pR)) (global.set $pT (local.get $pT))
    (global.set $pA (local.get $pA)) (global.set $pB (local.get $pB)) (global.set $pX (local.get $pX))
    (global.set $k (local.get $k)) (global.set $kr (local.get $kr)) (global.set $sA (local.get $sA))
    (global.set $chunk (local.get $chunk)) (global.set $mean (local.get $mean)))

  ;; Σ a[i]·b[i] over n f64, two lanes at a time.
  (func $dot (param $pa i32) (param $pb i32) (param $n i32) (result f64)
    (local $acc v128) (local $i i32) (local $s f64)
    (block $done
      (loop $next
        (br_if $done (i32.gt_s (i32.add (local.get $i) (i32.const 2)) (local.get $n)))
        (local.set $acc
          (f64x2.add (local.get $acc) (f64x2.mul (v128.load (local.get $pa)) (v128.load (local.get $pb)))))
        (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $next)))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
    (if (i32.lt_s (local.get $i) (local.get $n))
      (then
        (local.set $s (f64.add (local.get $s) (f64.mul (f64.load (local.get $pa)) (f64.load (local.get $pb)))))))
    (local.get $s))

  ;; R and T for the row's ratings [from, from + n): R[j] is row Idx[from + j] of Y widened to f64
  ;; and padded with zeros to kr; T[j] = Val[from + j] − mean − By[Idx[from + j]].
  (func $gather (param $from i32) (param $n i32)
    (local $j i32) (local $col i32) (local $src i32) (local $dst i32) (local $a i32) (local $k4 i32)
    (local $pIdx i32) (local $pVal i32)
    (local.set $k4 (i32.and (global.get $k) (i32.const -4)))
    (local.set $pIdx (i32.add (global.get $pIdx) (i32.shl (local.get $from) (i32.const 2))))
    (local.set $pVal (i32.add (global.get $pVal) (i32.shl (local.get $from) (i32.const 2))))
    (local.set $dst (global.get $pR))
    (block $jDone
      (loop $jNext
        (br_if $jDone (i32.ge_s (local.get $j) (local.get $n)))
        (local.set $col (i32.load (i32.add (local.get $pIdx) (i32.shl (local.get $j) (i32.const 2)))))
        (f64.store (i32.add (global.get $pT) (i32.shl (local.get $j) (i32.const 3)))
          (f64.sub
            (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $pVal) (i32.shl (local.get $j) (i32.const 2)))))
              (global.get $mean))
            (f64.promote_f32 (f32.load (i32.add (global.get $pBy) (i32.shl (local.get $col) (i32.const 2)))))))
        (local.set $src
          (i32.add (global.get $pY) (i32.shl (i32.mul (local.get $col) (global.get $k)) (i32.const 2))))
        (local.set $a (i32.const 0))
        (block $vDone
          (loop $vNext
            (br_if $vDone (i32.ge_s (local.get $a) (local.get $k4)))
            (v128.store (local.get $dst) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $src))))
            (v128.store offset=16 (local.get $dst)
              (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $src))))
            (local.set $src (i32.add (local.get $src) (i32.const 16)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
            (local.set $a (i32.add (local.get $a) (i32.const 4)))
            (br $vNext)))
        (block $sDone
          (loop $sNext
            (br_if $sDone (i32.ge_s (local.get $a) (global.get $k)))
            (f64.store (local.get $dst) (f64.promote_f32 (f32.load (local.get $src))))
            (local.set $src (i32.add (local.get $src) (i32.const 4)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
            (local.set $a (i32.add (local.get $a) (i32.const 1)))
            (br $sNext)))
        (block $zDone
          (loop $zNext
            (br_if $zDone (i32.ge_s (local.get $a) (global.get $kr)))
            (f64.store (local.get $dst) (f64.const 0))
            (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
            (local.set $a (i32.add (local.get $a) (i32.const 1)))
            (br $zNext)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jNext))))

  ;; A[c][a..a+3] += Σ_j R[j][a..a+3]·R[j][c] over R's n rows, for every 4×4 block with c ≥ a: A's
  ;; lower triangle four columns at a time (and the symmetric values above the diagonal inside
  ;; diagonal blocks).
  (func $gram (param $n i32)
    (local $rb i32) (local $end i32) (local $ab i32) (local $cb i32) (local $p i32) (local $q i32) (local $o i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $s4 v128) (local $s5 v128) (local $s6 v128) (local $s7 v128)
    (local $xa v128) (local $xb v128) (local $y v128)
    (local.set $rb (i32.shl (global.get $kr) (i32.const 3)))
    (local.set $end (i32.add (global.get $pR) (i32.mul (local.get $n) (local.get $rb))))
    (block $abDone
      (loop $abNext
        (br_if $abDone (i32.ge_s (local.get $ab) (global.get $kr)))
        (local.set $cb (local.get $ab))
        (block $cbDone
          (loop $cbNext
            (br_if $cbDone (i32.ge_s (local.get $cb) (global.get $kr)))
            ;; o: A[cb][ab]; row cb + q is q·sA further
            (local.set $o
              (i32.add (global.get $pA)
                (i32.shl (i32.add (i32.mul (local.get $cb) (global.get $sA)) (local.get $ab)) (i32.const 3))))
            (local.set $q (local.get $o))
            (local.set $s0 (v128.load (local.get $q))) (local.set $s1 (v128.load offset=16 (local.get $q)))
            (local.set $q (i32.add (local.get $q) (i32.shl (global.get $sA) (i32.const 3))))
            (local.set $s2 (v128.load (local.get $q))) (local.set $s3 (v128.load offset=16 (local.get $q)))
            (local.set $q (i32.add (local.get $q) (i32.shl (global.get $sA) (i32.const 3))))
            (local.set $s4 (v128.load (local.get $q))) (local.set $s5 (v128.load offset=16 (local.get $q)))
            (local.set $q (i32.add (local.get $q) (i32.shl (global.get $sA) (i32.const 3))))
            (local.set $s6 (v128.load (local.get $q))) (local.set $s7 (v128.load offset=16 (local.get $q)))
            (local.set $p (global.get $pR))
            (block $jDone
              (loop $jNext
                (br_if $jDone (i32.ge_u (local.get $p) (local.get $end)))
                (local.set $q (i32.add (local.get $p) (i32.shl (local.get $ab) (i32.const 3))))
                (local.set $xa (v128.load (local.get $q)))
                (local.set $xb (v128.load offset=16 (local.get $q)))
                (local.set $q (i32.add (local.get $p) (i32.shl (local.get $cb) (i32.const 3))))
                (local.set $y (f64x2.splat (f64.load (local.get $q))))
                (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $xa) (local.get $y))))
                (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $xb) (local.get $y))))
                (local.set $y (f64x2.splat (f64.load offset=8 (local.get $q))))
                (local.set $s2 (f64x2.add (local.get $s2) (f64x2.mul (local.get $xa) (local.get $y))))
                (local.set $s3 (f64x2.add (local.get $s3) (f64x2.mul (local.get $xb) (local.get $y))))
                (local.set $y (f64x2.splat (f64.load offset=16 (local.get $q))))
                (local.set $s4 (f64x2.add (local.get $s4) (f64x2.mul (local.get $xa) (local.get $y))))
                (local.set $s5 (f64x2.add (local.get $s5) (f64x2.mul (local.get $xb) (local.get $y))))
                (local.set $y (f64x2.splat (f64.load offset=24 (local.get $q))))
                (local.set $s6 (f64x2.add (local.get $s6) (f64x2.mul (local.get $xa) (local.get $y))))
                (local.set $s7 (f64x2.add (local.get $s7) (f64x2.mul (local.get $xb) (local.get $y))))
                (local.set $p (i32.add (local.get $p) (local.get $rb)))
                (br $jNext)))
            (local.set $q (local.get $o))
            (v128.store (local.get $q) (local.get $s0)) (v128.store offset=16 (local.get $q) (local.get $s1))
            (local.set $q (i32.add (local.get $q) (i32.shl (global.get $sA) (i32.const 3))))
            (v128.store (local.get $q) (local.get $s2)) (v128.store offset=16 (local.get $q) (local.get $s3))
            (local.set $q (i32.add (local.get $q) (i32.shl (global.get $sA) (i32.const 3))))
            (v128.store (local.get $q) (local.get $s4)) (v128.store offset=16 (local.get $q) (local.get $s5))
            (local.set $q (i32.add (local.get $q) (i32.shl (global.get $sA) (i32.const 3))))
            (v128.store (local.get $q) (local.get $s6)) (v128.store offset=16 (local.get $q) (local.get $s7))
            (local.set $cb (i32.add (local.get $cb) (i32.const 4)))
            (br $cbNext)))
        (local.set $ab (i32.add (local.get $ab) (i32.const 4)))
        (br $abNext))))

  ;; The bias row A[k][0..kr) += column sums of R's n rows, and B[0..kr) += RᵀT; returns ΣT.
  ;; ($gram adds only zeros to row k when row k is padding, k < kr.)
  (func $sums (param $n i32) (result f64)
    (local $rb i32) (local $ab i32) (local $p i32) (local $t i32) (local $q i32) (local $tsum f64)
    (local $c0 v128) (local $c1 v128) (local $b0 v128) (local $b1 v128) (local $xa v128) (local $xb v128)
    (local $y v128)
    (local.set $rb (i32.shl (global.get $kr) (i32.const 3)))
    (block $abDone
      (loop $abNext
        (br_if $abDone (i32.ge_s (local.get $ab) (global.get $kr)))
        (local.set $q
          (i32.add (global.get $pA)
            (i32.shl (i32.add (i32.mul (global.get $k) (global.get $sA)) (local.get $ab)) (i32.const 3))))
        (local.set $c0 (v128.load (local.get $q))) (local.set $c1 (v128.load offset=16 (local.get $q)))
        (local.set $q (i32.add (global.get $pB) (i32.shl (local.get $ab) (i32.const 3))))
        (local.set $b0 (v128.load (local.get $q))) (local.set $b1 (v128.load offset=16 (local.get $q)))
        (local.set $p (i32.add (global.get $pR) (i32.shl (local.get $ab) (i32.const 3))))
        (local.set $t (global.get $pT))
        (local.set $q (i32.add (global.get $pT) (i32.shl (local.get $n) (i32.const 3))))
        (block $jDone
          (loop $jNext
            (br_if $jDone (i32.ge_u (local.get $t) (local.get $q)))
            (local.set $xa (v128.load (local.get $p)))
            (local.set $xb (v128.load offset=16 (local.get $p)))
            (local.set $y (f64x2.splat (f64.load (local.get $t))))
            (local.set $c0 (f64x2.add (local.get $c0) (local.get $xa)))
            (local.set $c1 (f64x2.add (local.get $c1) (local.get $xb)))
            (local.set $b0 (f64x2.add (local.get $b0) (f64x2.mul (local.get $xa) (local.get $y))))
            (local.set $b1 (f64x2.add (local.get $b1) (f64x2.mul (local.get $xb) (local.get $y))))
            (local.set $p (i32.add (local.get $p) (local.get $rb)))
            (local.set $t (i32.add (local.get $t) (i32.const 8)))
            (br $jNext)))
        (local.set $q
          (i32.add (global.get $pA)
            (i32.shl (i32.add (i32.mul (global.get $k) (global.get $sA)) (local.get $ab)) (i32.const 3))))
        (v128.store (local.get $q) (local.get $c0)) (v128.store offset=16 (local.get $q) (local.get $c1))
        (local.set $q (i32.add (global.get $pB) (i32.shl (local.get $ab) (i32.const 3))))
        (v128.store (local.get $q) (local.get $b0)) (v128.store offset=16 (local.get $q) (local.get $b1))
        (local.set $ab (i32.add (local.get $ab) (i32.const 4)))
        (br $abNext)))
    (local.set $t (global.get $pT))
    (local.set $q (i32.add (global.get $pT) (i32.shl (local.get $n) (i32.const 3))))
    (block $tDone
      (loop $tNext
        (br_if $tDone (i32.ge_u (local.get $t) (local.get $q)))
        (local.set $tsum (f64.add (local.get $tsum) (f64.load (local.get $t))))
        (local.set $t (i32.add (local.get $t) (i32.const 8)))
        (br $tNext)))
    (local.get $tsum))

  ;; Add reg to A's diagonal, factor A = LLᵀ in place (lower triangle, row by row), solve LLᵀX = B.
  (func $cholesky (param $d i32) (param $pA i32) (param $sA i32) (param $pB i32) (param $pX i32) (param $reg f64)
    (local $i i32) (local $j i32) (local $p i32) (local $rowI i32) (local $rowJ i32) (local $rs i32) (local $s f64)
    (local.set $rs (i32.shl (local.get $sA) (i32.const 3)))
    (block $iDone
      (loop $iNext
        (br_if $iDone (i32.ge_s (local.get $i) (local.get $d)))
        (local.set $rowI (i32.add (local.get $pA) (i32.mul (local.get $i) (local.get $rs))))
        (local.set $j (i32.const 0))
        (block $jDone
          (loop $jNext
            (br_if $jDone (i32.ge_s (local.get $j) (local.get $i)))
            (local.set $rowJ (i32.add (local.get $pA) (i32.mul (local.get $j) (local.get $rs))))
            (local.set $p (i32.add (local.get $rowI) (i32.shl (local.get $j) (i32.const 3))))
            (f64.store (local.get $p)
              (f64.div
                (f64.sub (f64.load (local.get $p)) (call $dot (local.get $rowI) (local.get $rowJ) (local.get $j)))
                (f64.load (i32.add (local.get $rowJ) (i32.shl (local.get $j) (i32.const 3))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jNext)))
        (local.set $p (i32.add (local.get $rowI) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $s
          (f64.sub (f64.add (f64.load (local.get $p)) (local.get $reg))
            (call $dot (local.get $rowI) (local.get $rowI) (local.get $i))))
        (f64.store (local.get $p) (f64.sqrt (f64.max (local.get $s) (f64.const 1e-12))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iNext)))
    ;; L y = B (y in X)
    (local.set $i (i32.const 0))
    (block $fDone
      (loop $fNext
        (br_if $fDone (i32.ge_s (local.get $i) (local.get $d)))
        (local.set $rowI (i32.add (local.get $pA) (i32.mul (local.get $i) (local.get $rs))))
        (f64.store (i32.add (local.get $pX) (i32.shl (local.get $i) (i32.const 3)))
          (f64.div
            (f64.sub (f64.load (i32.add (local.get $pB) (i32.shl (local.get $i) (i32.const 3))))
              (call $dot (local.get $rowI) (local.get $pX) (local.get $i)))
            (f64.load (i32.add (local.get $rowI) (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fNext)))
    ;; Lᵀ x = y
    (local.set $i (local.get $d))
    (block $bDone
      (loop $bNext
        (br_if $bDone (i32.le_s (local.get $i) (i32.const 0)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (local.set $s (f64.load (i32.add (local.get $pX) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $p (i32.add (local.get $i) (i32.const 1)))
        (block $pDone
          (loop $pNext
            (br_if $pDone (i32.ge_s (local.get $p) (local.get $d)))
            (local.set $s
              (f64.sub (local.get $s)
                (f64.mul
                  (f64.load
                    (i32.add (local.get $pA)
                      (i32.shl (i32.add (i32.mul (local.get $p) (local.get $sA)) (local.get $i)) (i32.const 3))))
                  (f64.load (i32.add (local.get $pX) (i32.shl (local.get $p) (i32.const 3)))))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $pNext)))
        (f64.store (i32.add (local.get $pX) (i32.shl (local.get $i) (i32.const 3)))
          (f64.div (local.get $s)
            (f64.load
              (i32.add (local.get $pA)
                (i32.shl (i32.add (i32.mul (local.get $i) (local.get $sA)) (local.get $i)) (i32.const 3))))))
        (br $bNext))))

  ;; Solve the row whose `count` ratings are in Idx and Val: A and B a chunk of R at a time, then
  ;; the solve; X receives [p_0 .. p_{k−1}, bias].
  (func (export "solveRow") (param $count i32) (param $reg f64)
    (local $p i32) (local $end i32) (local $from i32) (local $n i32) (local $tsum f64)
    ;; A (rows 0..kr) and B (kr + 2) start at zero
    (local.set $p (global.get $pA))
    (local.set $end
      (i32.add (global.get $pA)
        (i32.shl (i32.mul (i32.add (global.get $kr) (i32.const 1)) (global.get $sA)) (i32.const 3))))
    (block $zDone
      (loop $zNext
        (br_if $zDone (i32.ge_u (local.get $p) (local.get $end)))
        (f64.store (local.get $p) (f64.const 0))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $zNext)))
    (local.set $p (global.get $pB))
    (local.set $end (i32.add (global.get $pB) (i32.shl (i32.add (global.get $kr) (i32.const 2)) (i32.const 3))))
    (block $bDone
      (loop $bNext
        (br_if $bDone (i32.ge_u (local.get $p) (local.get $end)))
        (f64.store (local.get $p) (f64.const 0))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $bNext)))
    (block $cDone
      (loop $cNext
        (br_if $cDone (i32.ge_s (local.get $from) (local.get $count)))
        (local.set $n (i32.sub (local.get $count) (local.get $from)))
        (if (i32.gt_s (local.get $n) (global.get $chunk)) (then (local.set $n (global.get $chunk))))
        (call $gather (local.get $from) (local.get $n))
        (call $gram (local.get $n))
        (local.set $tsum (f64.add (local.get $tsum) (call $sums (local.get $n))))
        (local.set $from (i32.add (local.get $from) (local.get $n)))
        (br $cNext)))
    (f64.store
      (i32.add (global.get $pA)
        (i32.shl (i32.add (i32.mul (global.get $k) (global.get $sA)) (global.get $k)) (i32.const 3)))
      (f64.convert_i32_s (local.get $count)))
    (f64.store (i32.add (global.get $pB) (i32.shl (global.get $k) (i32.const 3))) (local.get $tsum))
    (call $cholesky (i32.add (global.get $k) (i32.const 1)) (global.get $pA) (global.get $sA) (global.get $pB)
      (global.get $pX) (local.get $reg)))

  ;; Σ_j (T[j] − bias − R[j]·X)² over the `count` ratings in Idx and Val, with X (kr f64, zero beyond
  ;; the factors) holding the row's factors as stored: its squared errors.
  (func (export "squaredErrors") (param $count i32) (param $bias f64) (result f64)
    (local $from i32) (local $n i32) (local $j i32) (local $p i32) (local $e f64) (local $sum f64)
    (block $cDone
      (loop $cNext
        (br_if $cDone (i32.ge_s (local.get $from) (local.get $count)))
        (local.set $n (i32.sub (local.get $count) (local.get $from)))
        (if (i32.gt_s (local.get $n) (global.get $chunk)) (then (local.set $n (global.get $chunk))))
        (call $gather (local.get $from) (local.get $n))
        (local.set $p (global.get $pR))
        (local.set $j (i32.const 0))
        (block $jDone
          (loop $jNext
            (br_if $jDone (i32.ge_s (local.get $j) (local.get $n)))
            (local.set $e
              (f64.sub
                (f64.sub (f64.load (i32.add (global.get $pT) (i32.shl (local.get $j) (i32.const 3)))) (local.get $bias))
                (call $dot (local.get $p) (global.get $pX) (global.get $kr))))
            (local.set $sum (f64.add (local.get $sum) (f64.mul (local.get $e) (local.get $e))))
            (local.set $p (i32.add (local.get $p) (i32.shl (global.get $kr) (i32.const 3))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jNext)))
        (local.set $from (i32.add (local.get $from) (local.get $n)))
        (br $cNext)))
    (local.get $sum)))
