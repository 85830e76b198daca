//! Building blocks for hot loops that the compiler vectorises: [`wide`], which runs a loop
//! compiled for AVX2 + FMA when the CPU has them, and [`exp`], [`erf`] and [`gelu`] without
//! calls or branches (libm's `expf` / `erff` are a call per element, so loops over them stay
//! scalar). Shared by
//! ser-features (eGeMAPS, SHS pitch), ser-whisper (softmax, GELU) and ser-models (LSTM gates,
//! softmax, GELU).
//!
//! ```
//! let y = ser_dsp::lanes::wide(|| [0.0f32, 1.0, -2.0].map(ser_dsp::lanes::exp));
//! assert!((y[1] - std::f32::consts::E).abs() < 1e-6);
//! ```

/// Runs `f` compiled for AVX2 + FMA when the CPU has them (checked at run time; the portable
/// build otherwise), so the compiler's vectorised loops use 256-bit registers. Results are
/// identical either way: Rust never contracts `a * b + c` into a fused multiply-add, and the
/// loops' summation orders are fixed in the source. `f` must be `#[inline(always)]`-friendly:
/// code it calls that is not inlined into it runs as the portable build.
#[inline(always)]
#[allow(unsafe_code)]
pub fn wide<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: `avx2` needs exactly the AVX2 and FMA support checked just above
            return unsafe { avx2(f) };
        }
    }
    f()
}

/// `exp(x)` for `x` in `[-87, 88]` (clamped), relative error < 3e-7: `x = n·ln 2 + r` with
/// `|r| <= ln 2 / 2`, Cephes' degree-5 polynomial for `e^r`, and `2^n` built from
/// the exponent bits. Vectorises (no calls, no branches).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2^23: adding it rounds to an integer
    let x = x.clamp(-87.0, 88.0);
    let t = x * std::f32::consts::LOG2_E + MAGIC;
    let n = t - MAGIC;
    let ni = (t.to_bits() as i32).wrapping_sub(MAGIC.to_bits() as i32);
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_2e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 0.166_666_65;
    p = p * r + 0.5;
    let e = p * (r * r) + r + 1.0;
    e * f32::from_bits(((ni + 127) as u32) << 23)
}

/// `erf(x)` as a rational function of `x` (odd numerator of degree 13, even
/// denominator of degree 8) of `x` clamped to `[-4, 4]` (`erf(4) = 1 - 1.5e-8`).
/// Coefficients: Eigen's `generic_fast_erf_float`. Evaluated in f64: the
/// approximation error is 7e-8, while f32 arithmetic would add rounding up to 4e-7,
/// which doubled the encoder's deviation from PyTorch on Whisper-base (the encoder
/// output's max |diff| went from 6e-5 to 1.8e-4). No branches or calls, so loops over
/// it vectorise: the fused bias + GELU pass is ~5 % of the encoder's time, where
/// Candle's `gelu_erf` (scalar `libm::erff`) took ~14 %.
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let x = (x as f64).clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = -2.72614225801306e-10_f64;
    p = p * x2 + 2.77068142495902e-08;
    p = p * x2 - 2.10102402082508e-06;
    p = p * x2 - 5.69250639462346e-05;
    p = p * x2 - 7.34990630326855e-04;
    p = p * x2 - 2.95459980854025e-03;
    p = p * x2 - 1.60960333262415e-02;
    let mut q = -1.45660718464996e-05_f64;
    q = q * x2 - 2.13374055278905e-04;
    q = q * x2 - 1.68282697438203e-03;
    q = q * x2 - 7.37332916720468e-03;
    q = q * x2 - 1.42647390514189e-02;
    (x * p / q) as f32
}

/// Exact-erf GELU, `x · (1 + erf(x / √2)) / 2` (PyTorch's default `gelu`).
#[inline(always)]
pub fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_3e7_relative_of_libm() {
        for i in -12_000..=12_000 {
            let x = i as f32 * 7e-3; // -84 ..= 84
            let (e, w) = (exp(x), x.exp());
            assert!((e - w).abs() <= 3e-7 * w, "exp({x}) = {e}, libm {w}");
        }
        assert!(exp(-1000.0) < 1e-37 && exp(-1000.0) >= 0.0);
        assert!(exp(1000.0).is_finite());
        assert_eq!(wide(|| exp(0.0)), 1.0);
    }
}
