//! Decibel conversion (`librosa.power_to_db`, `amplitude_to_db`, `db_to_power`,
//! `db_to_amplitude`).

use crate::error::{invalid, Result};
use ndarray::{Array, ArrayView, ArrayViewMut, Dimension};
use serde::{Deserialize, Serialize};

/// Reference value that maps to 0 dB (`ref` in librosa).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DbRef {
    /// A fixed reference (`ref=1.0` by default). Its absolute value is used.
    Value(f32),
    /// The maximum of the input (`ref=np.max`).
    Max,
}

impl Default for DbRef {
    fn default() -> Self {
        DbRef::Value(1.0)
    }
}

/// Parameters of the dB conversions.
///
/// `Default` is `power_to_db`'s: `ref=1.0, amin=1e-10, top_db=80`. For `amplitude_to_db` use
/// [`DbConfig::amplitude`] (`amin=1e-5`, librosa's amplitude default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct DbConfig {
    /// Reference mapped to 0 dB. Default: `Value(1.0)` (librosa).
    pub reference: DbRef,
    /// Floor applied to the input (and reference) before the log. Default: `1e-10` (librosa's
    /// `power_to_db`); librosa's `amplitude_to_db` default is `1e-5`, see [`DbConfig::amplitude`].
    pub amin: f32,
    /// Clip output to `max - top_db`. Default: `Some(80.0)` (librosa).
    pub top_db: Option<f32>,
}

impl Default for DbConfig {
    fn default() -> Self {
        DbConfig {
            reference: DbRef::Value(1.0),
            amin: 1e-10,
            top_db: Some(80.0),
        }
    }
}

impl DbConfig {
    /// librosa's `amplitude_to_db` defaults: `ref=1.0, amin=1e-5, top_db=80`.
    pub fn amplitude() -> Self {
        DbConfig {
            amin: 1e-5,
            ..DbConfig::default()
        }
    }
    /// Sets the reference.
    pub fn reference(mut self, reference: DbRef) -> Self {
        self.reference = reference;
        self
    }
    /// Sets `amin`.
    pub fn amin(mut self, amin: f32) -> Self {
        self.amin = amin;
        self
    }
    /// Sets `top_db` (`None` disables clipping).
    pub fn top_db(mut self, top_db: Option<f32>) -> Self {
        self.top_db = top_db;
        self
    }

    fn validate(&self) -> Result<()> {
        if !(self.amin.is_finite() && self.amin > 0.0) {
            return Err(invalid(
                "amin",
                format!("must be finite and > 0, got {}", self.amin),
            ));
        }
        if let Some(t) = self.top_db {
            if !(t.is_finite() && t >= 0.0) {
                return Err(invalid(
                    "top_db",
                    format!("must be finite and >= 0, got {t}"),
                ));
            }
        }
        if let DbRef::Value(r) = self.reference {
            if !r.is_finite() {
                return Err(invalid("ref", format!("must be finite, got {r}")));
            }
        }
        Ok(())
    }
}

/// Shared core: `10 log10(max(amin, |s|)) - 10 log10(max(amin, |ref|))`, then top-dB clipping.
/// `amin` and `reference` are in power units here.
fn to_db_inplace<D: Dimension>(
    mut s: ArrayViewMut<'_, f32, D>,
    amin: f32,
    reference: f32,
    top_db: Option<f32>,
) {
    let ref_db = 10.0 * amin.max(reference.abs()).log10();
    s.mapv_inplace(|v| 10.0 * amin.max(v).log10() - ref_db);
    if let Some(top) = top_db {
        let max = s.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let floor = max - top;
        s.mapv_inplace(|v| v.max(floor));
    }
}

/// Power spectrogram → dB, in place (same semantics as [`power_to_db`]).
pub fn power_to_db_inplace<D: Dimension>(
    s: ArrayViewMut<'_, f32, D>,
    cfg: &DbConfig,
) -> Result<()> {
    cfg.validate()?;
    let reference = match cfg.reference {
        DbRef::Value(r) => r,
        DbRef::Max => s.iter().copied().fold(f32::NEG_INFINITY, f32::max),
    };
    to_db_inplace(s, cfg.amin, reference, cfg.top_db);
    Ok(())
}

/// Power spectrogram → dB (`librosa.power_to_db`):
/// `10 log10(max(amin, S)) - 10 log10(max(amin, |ref|))`, then values below `max - top_db`
/// are raised to it. Negative inputs are floored at `amin` (librosa takes `|S|` only for
/// complex input). NaN propagates as in numpy.
///
/// ```
/// use ndarray::array;
/// use ser_dsp::{power_to_db, DbConfig, DbRef};
/// let s = array![1.0f32, 10.0, 100.0];
/// let db = power_to_db(s.view(), &DbConfig::default().reference(DbRef::Max)).unwrap();
/// assert_eq!(db, array![-20.0, -10.0, 0.0]);
/// ```
pub fn power_to_db<D: Dimension>(
    s: ArrayView<'_, f32, D>,
    cfg: &DbConfig,
) -> Result<Array<f32, D>> {
    let mut out = s.to_owned();
    power_to_db_inplace(out.view_mut(), cfg)?;
    Ok(out)
}

/// Amplitude spectrogram → dB (`librosa.amplitude_to_db`): `power_to_db(|S|², ref=|ref|²,
/// amin=amin², top_db)`. Use [`DbConfig::amplitude`] for librosa's defaults (`amin = 1e-5`).
pub fn amplitude_to_db<D: Dimension>(
    s: ArrayView<'_, f32, D>,
    cfg: &DbConfig,
) -> Result<Array<f32, D>> {
    cfg.validate()?;
    let reference = match cfg.reference {
        DbRef::Value(r) => r.abs(),
        DbRef::Max => s
            .iter()
            .copied()
            .fold(f32::NEG_INFINITY, |a, b| a.max(b.abs())),
    };
    let mut out = s.mapv(|v| v * v);
    to_db_inplace(
        out.view_mut(),
        cfg.amin * cfg.amin,
        reference * reference,
        cfg.top_db,
    );
    Ok(out)
}

/// dB → power (`librosa.db_to_power`): `reference · 10^(0.1 · S_dB)`.
pub fn db_to_power<D: Dimension>(s_db: ArrayView<'_, f32, D>, reference: f32) -> Array<f32, D> {
    s_db.mapv(|v| reference * 10f32.powf(0.1 * v))
}

/// dB → amplitude (`librosa.db_to_amplitude`): `reference · 10^(0.05 · S_dB)`.
pub fn db_to_amplitude<D: Dimension>(s_db: ArrayView<'_, f32, D>, reference: f32) -> Array<f32, D> {
    s_db.mapv(|v| reference * 10f32.powf(0.05 * v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn top_db_clips() {
        let s = array![[1e-12f32, 1.0], [1e-3, 1e2]];
        let db = power_to_db(s.view(), &DbConfig::default()).expect("db");
        assert!((db[[1, 1]] - 20.0).abs() < 1e-5);
        assert!((db[[0, 0]] - (-60.0)).abs() < 1e-5); // floored at max - 80
        let nodb = power_to_db(s.view(), &DbConfig::default().top_db(None)).expect("db");
        assert!((nodb[[0, 0]] - (-100.0)).abs() < 1e-4); // amin = 1e-10
    }

    #[test]
    fn inverse_round_trip() {
        let s = array![0.5f32, 2.0, 7.0];
        let db = power_to_db(s.view(), &DbConfig::default().top_db(None)).expect("db");
        let back = db_to_power(db.view(), 1.0);
        for (a, b) in s.iter().zip(back.iter()) {
            assert!((a - b).abs() < 1e-5 * a);
        }
        let adb = amplitude_to_db(s.view(), &DbConfig::amplitude().top_db(None)).expect("db");
        let aback = db_to_amplitude(adb.view(), 1.0);
        for (a, b) in s.iter().zip(aback.iter()) {
            assert!((a - b).abs() < 1e-5 * a);
        }
    }

    #[test]
    fn bad_config() {
        let s = array![1.0f32];
        assert!(power_to_db(s.view(), &DbConfig::default().amin(0.0)).is_err());
        assert!(power_to_db(s.view(), &DbConfig::default().top_db(Some(-1.0))).is_err());
    }
}
