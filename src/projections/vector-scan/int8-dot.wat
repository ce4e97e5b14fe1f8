;; The inner loops of the in-memory vector scan (see scope-mirror.ts). Hand-written WebAssembly SIMD because
;; it runs n × stride times per query: in plain JS a float scan of 100k × 512 took ~80 ms here, this ~6 ms.
;; Rebuild int8-dot.wasm.ts after editing: `npm run build:wasm` (a test checks the two agree).
(module
  (import "env" "memory" (memory 1))
  ;; out[i] = f32(dot(q, codes[i])) * scales[i], for i < n.
  ;; q and every code row are `stride` signed bytes, stride a multiple of 32 (rows are zero-padded).
  (func (export "scores") (param $q i32) (param $codes i32) (param $scales i32) (param $n i32) (param $stride i32) (param $out i32)
    (local $i i32) (local $d i32) (local $row i32) (local $acc v128) (local $qa v128) (local $qb v128) (local $ca v128) (local $cb v128)
    (local.set $row (local.get $codes))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $d (i32.const 0))
      (block $rowDone (loop $cols
        (br_if $rowDone (i32.ge_u (local.get $d) (local.get $stride)))
        (local.set $qa (v128.load (i32.add (local.get $q) (local.get $d))))
        (local.set $ca (v128.load (i32.add (local.get $row) (local.get $d))))
        (local.set $qb (v128.load offset=16 (i32.add (local.get $q) (local.get $d))))
        (local.set $cb (v128.load offset=16 (i32.add (local.get $row) (local.get $d))))
        (local.set $acc (i32x4.add (local.get $acc)
          (i32x4.add
            (i32x4.add
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $qa)) (i16x8.extend_low_i8x16_s (local.get $ca)))
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $qa)) (i16x8.extend_high_i8x16_s (local.get $ca))))
            (i32x4.add
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $qb)) (i16x8.extend_low_i8x16_s (local.get $cb)))
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $qb)) (i16x8.extend_high_i8x16_s (local.get $cb)))))))
        (local.set $d (i32.add (local.get $d) (i32.const 32)))
        (br $cols)))
      (f32.store (local.get $out)
        (f32.mul
          (f32.convert_i32_s (i32.add
            (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
            (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
          (f32.load (local.get $scales))))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
      (local.set $row (i32.add (local.get $row) (local.get $stride)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows))))
  ;; dst[i] = round(src[i] * k) as int8 (saturating), for i < n; n a multiple of 16, src f32, dst i8.
  ;; In JS the rounding store cost ~10 ns an element (random signs defeat the branch predictor).
  (func (export "quantize") (param $src i32) (param $dst i32) (param $n i32) (param $k f32)
    (local $i i32) (local $kv v128)
    (local.set $kv (f32x4.splat (local.get $k)))
    (block $done (loop $each
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (v128.store (i32.add (local.get $dst) (local.get $i))
        (i8x16.narrow_i16x8_s
          (i16x8.narrow_i32x4_s
            (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))) (local.get $kv))))
            (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (v128.load offset=16 (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))) (local.get $kv)))))
          (i16x8.narrow_i32x4_s
            (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (v128.load offset=32 (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))) (local.get $kv))))
            (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (v128.load offset=48 (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))) (local.get $kv)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $each)))))
