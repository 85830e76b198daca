//! Confusion-matrix heat maps as PNG (plotters bitmap backend, embedded DejaVu Sans font).
//!
//! The font (DejaVu Sans 2.37, Bitstream Vera licence, see `assets/LICENSE-DejaVu.txt`) is
//! compiled into the crate and registered with plotters under the family name
//! [`FONT_FAMILY`], so rendering needs no system fonts.

use std::path::Path;
use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;
use serde::{Deserialize, Serialize};

use crate::confusion::{ConfusionMatrix, Normalize};
use crate::error::{Error, Result};

/// Font family name under which the embedded DejaVu Sans is registered.
pub const FONT_FAMILY: &str = "ser-dejavu-sans";

static FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
static FONT_OK: OnceLock<bool> = OnceLock::new();

/// Registers the embedded font with plotters (idempotent).
///
/// # Errors
/// [`Error::Plot`] if the font cannot be parsed (never for the shipped file).
pub fn register_embedded_font() -> Result<()> {
    let ok = *FONT_OK.get_or_init(|| {
        plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::Plot("embedded font could not be registered".into()))
    }
}

/// Options of the heat map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HeatmapOptions {
    /// Normalisation of the displayed values (colour and main number). Default:
    /// [`Normalize::True`] (row-normalised: the diagonal is per-class recall).
    pub normalize: Normalize,
    /// Title. Default: `"Confusion matrix"` (plus the normalisation).
    pub title: Option<String>,
    /// Minimum cell side in pixels (grown to fit class names). Default: 90.
    pub cell_size: u32,
    /// Decimals of normalised values. Default: 2.
    pub digits: usize,
    /// Also print the raw count under a normalised value. Default: `true`.
    pub show_counts: bool,
}

impl Default for HeatmapOptions {
    fn default() -> Self {
        Self {
            normalize: Normalize::True,
            title: None,
            cell_size: 90,
            digits: 2,
            show_counts: true,
        }
    }
}

impl HeatmapOptions {
    /// Sets `normalize`.
    pub fn normalize(mut self, n: Normalize) -> Self {
        self.normalize = n;
        self
    }
    /// Sets `title`.
    pub fn title(mut self, t: impl Into<String>) -> Self {
        self.title = Some(t.into());
        self
    }
    /// Sets `cell_size`.
    pub fn cell_size(mut self, px: u32) -> Self {
        self.cell_size = px;
        self
    }
    /// Sets `digits`.
    pub fn digits(mut self, d: usize) -> Self {
        self.digits = d;
        self
    }
    /// Sets `show_counts`.
    pub fn show_counts(mut self, s: bool) -> Self {
        self.show_counts = s;
        self
    }
}

/// White → dark blue (matplotlib "Blues"-like), `t` in `[0, 1]`.
fn blues(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let stops = [
        (247.0, 251.0, 255.0),
        (198.0, 219.0, 239.0),
        (107.0, 174.0, 214.0),
        (33.0, 113.0, 181.0),
        (8.0, 48.0, 107.0),
    ];
    let x = t * (stops.len() - 1) as f64;
    let i = (x.floor() as usize).min(stops.len() - 2);
    let f = x - i as f64;
    let (a, b) = (stops[i], stops[i + 1]);
    let l = |u: f64, v: f64| (u + (v - u) * f).round() as u8;
    RGBColor(l(a.0, b.0), l(a.1, b.1), l(a.2, b.2))
}

fn perr<E: std::fmt::Display>(e: E) -> Error {
    Error::Plot(e.to_string())
}

struct Layout {
    w: u32,
    h: u32,
    left: i32,
    top: i32,
    cell: i32,
}

fn layout(n: usize, names: &[String], opts: &HeatmapOptions) -> Layout {
    // ~8.5 px per character at 15 px font
    let longest = names.iter().map(|s| s.chars().count()).max().unwrap_or(1) as i32;
    let label_px = longest * 9 + 10;
    let cell = (opts.cell_size as i32).max(label_px).max(40);
    let left = 40 + label_px;
    let top = 60;
    let grid = cell * n as i32;
    let w = (left + grid + 110) as u32;
    let h = (top + grid + 70) as u32;
    Layout {
        w,
        h,
        left,
        top,
        cell,
    }
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    cm: &ConfusionMatrix,
    names: &[String],
    opts: &HeatmapOptions,
    lay: &Layout,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let n = cm.n_classes();
    root.fill(&WHITE).map_err(perr)?;
    let vals = cm.normalized(opts.normalize);
    let counts = cm.counts();
    let vmax = vals.iter().copied().fold(0.0f64, f64::max);
    let vmax = if vmax > 0.0 { vmax } else { 1.0 };
    let font = |size: f64| (FONT_FAMILY, size).into_font();
    let center = Pos::new(HPos::Center, VPos::Center);
    let title = opts.title.clone().unwrap_or_else(|| match opts.normalize {
        Normalize::None => "Confusion matrix (counts)".to_string(),
        Normalize::True => "Confusion matrix (normalised over true labels)".to_string(),
        Normalize::Pred => "Confusion matrix (normalised over predictions)".to_string(),
        Normalize::All => "Confusion matrix (normalised over all samples)".to_string(),
    });
    let grid = lay.cell * n as i32;
    root.draw(&Text::new(
        title,
        (lay.left + grid / 2, 25),
        font(20.0).color(&BLACK).pos(center),
    ))
    .map_err(perr)?;
    for t in 0..n {
        for p in 0..n {
            let v = vals[t * n + p];
            let c = counts[t * n + p];
            let x0 = lay.left + p as i32 * lay.cell;
            let y0 = lay.top + t as i32 * lay.cell;
            let shade = v / vmax;
            root.draw(&Rectangle::new(
                [(x0, y0), (x0 + lay.cell, y0 + lay.cell)],
                blues(shade).filled(),
            ))
            .map_err(perr)?;
            root.draw(&Rectangle::new(
                [(x0, y0), (x0 + lay.cell, y0 + lay.cell)],
                RGBColor(200, 200, 200).stroke_width(1),
            ))
            .map_err(perr)?;
            let txt_color = if shade > 0.5 { WHITE } else { BLACK };
            let (cx, cy) = (x0 + lay.cell / 2, y0 + lay.cell / 2);
            let main = match opts.normalize {
                Normalize::None => c.to_string(),
                _ => format!("{v:.prec$}", prec = opts.digits),
            };
            let show_counts = opts.show_counts && opts.normalize != Normalize::None;
            let my = if show_counts { cy - 9 } else { cy };
            root.draw(&Text::new(
                main,
                (cx, my),
                font(17.0).color(&txt_color).pos(center),
            ))
            .map_err(perr)?;
            if show_counts {
                root.draw(&Text::new(
                    format!("({c})"),
                    (cx, cy + 12),
                    font(13.0).color(&txt_color).pos(center),
                ))
                .map_err(perr)?;
            }
        }
    }
    let lab = font(15.0).color(&BLACK);
    for (i, name) in names.iter().enumerate() {
        let c = lay.left + i as i32 * lay.cell + lay.cell / 2;
        // column (predicted) labels under the grid, row (true) labels left of it
        root.draw(&Text::new(
            name.clone(),
            (c, lay.top + grid + 14),
            lab.pos(Pos::new(HPos::Center, VPos::Center)),
        ))
        .map_err(perr)?;
        let r = lay.top + i as i32 * lay.cell + lay.cell / 2;
        root.draw(&Text::new(
            name.clone(),
            (lay.left - 8, r),
            lab.pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(perr)?;
    }
    let axis = font(16.0).color(&BLACK);
    root.draw(&Text::new(
        "Predicted label",
        (lay.left + grid / 2, lay.top + grid + 45),
        axis.pos(center),
    ))
    .map_err(perr)?;
    root.draw(&Text::new(
        "True label",
        (14, lay.top + grid / 2),
        axis.transform(FontTransform::Rotate270).pos(center),
    ))
    .map_err(perr)?;
    // colour bar
    let bx = lay.left + grid + 25;
    let steps = 100;
    for s in 0..steps {
        let y0 = lay.top + grid - (s + 1) * grid / steps;
        let y1 = lay.top + grid - s * grid / steps;
        let shade = (s as f64 + 0.5) / steps as f64;
        root.draw(&Rectangle::new(
            [(bx, y0), (bx + 20, y1)],
            blues(shade).filled(),
        ))
        .map_err(perr)?;
    }
    root.draw(&Rectangle::new(
        [(bx, lay.top), (bx + 20, lay.top + grid)],
        BLACK.stroke_width(1),
    ))
    .map_err(perr)?;
    let tick = |v: f64| match opts.normalize {
        Normalize::None => format!("{}", v.round() as u64),
        _ => format!("{v:.prec$}", prec = opts.digits),
    };
    let left_anchor = Pos::new(HPos::Left, VPos::Center);
    let tf = font(13.0).color(&BLACK);
    root.draw(&Text::new(
        tick(vmax),
        (bx + 26, lay.top),
        tf.pos(left_anchor),
    ))
    .map_err(perr)?;
    root.draw(&Text::new(
        tick(0.0),
        (bx + 26, lay.top + grid),
        tf.pos(left_anchor),
    ))
    .map_err(perr)?;
    root.draw(&Text::new(
        tick(vmax / 2.0),
        (bx + 26, lay.top + grid / 2),
        tf.pos(left_anchor),
    ))
    .map_err(perr)?;
    Ok(())
}

/// Renders the heat map into an RGB buffer; returns `(pixels, width, height)`, pixels
/// row-major `(height, width, 3)`.
///
/// # Errors
/// [`Error::LengthMismatch`] if `class_names` is not `n_classes` long, [`Error::Plot`].
pub fn confusion_matrix_rgb<S: AsRef<str>>(
    cm: &ConfusionMatrix,
    class_names: Option<&[S]>,
    opts: &HeatmapOptions,
) -> Result<(Vec<u8>, u32, u32)> {
    register_embedded_font()?;
    let names = crate::class_names(class_names, cm.n_classes())?;
    let lay = layout(cm.n_classes(), &names, opts);
    let mut buf = vec![0u8; (lay.w * lay.h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (lay.w, lay.h)).into_drawing_area();
        draw(&root, cm, &names, opts, &lay)?;
        root.present().map_err(perr)?;
    }
    Ok((buf, lay.w, lay.h))
}

/// Writes the heat map as a PNG file: cells coloured by the (normalised) value, each with
/// its value (and count), class names on both axes, a colour bar.
///
/// ```
/// use ser_metrics::{plot::{confusion_matrix_png, HeatmapOptions}, ConfusionMatrix};
/// let cm = ConfusionMatrix::from_predictions(&[0, 1, 1, 2], &[0, 1, 2, 2], None).unwrap();
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("cm.png");
/// confusion_matrix_png(&cm, Some(&["angry", "happy", "sad"]), &HeatmapOptions::default(), &path).unwrap();
/// assert!(path.exists());
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`] for wrong `class_names`, [`Error::Plot`] when drawing or
/// encoding fails (e.g. unwritable path).
pub fn confusion_matrix_png<S: AsRef<str>, P: AsRef<Path>>(
    cm: &ConfusionMatrix,
    class_names: Option<&[S]>,
    opts: &HeatmapOptions,
    path: P,
) -> Result<()> {
    register_embedded_font()?;
    let names = crate::class_names(class_names, cm.n_classes())?;
    let lay = layout(cm.n_classes(), &names, opts);
    let root = BitMapBackend::new(path.as_ref(), (lay.w, lay.h)).into_drawing_area();
    draw(&root, cm, &names, opts, &lay)?;
    root.present().map_err(perr)?;
    Ok(())
}
