//! Training-curve PNG (plotters). Text needs a TrueType font: the first of a few common
//! system fonts (or `SER_FONT`) is registered; without one the curves are drawn unlabelled.

use std::path::Path;
use std::sync::OnceLock;

use plotters::prelude::*;

use crate::train::EpochLog;
use crate::{Error, Result};

const FONT_CANDIDATES: [&str; 4] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/Library/Fonts/Arial.ttf",
];

/// Registers a sans-serif font once; returns whether text can be drawn.
pub(crate) fn ensure_font() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        let env = std::env::var("SER_FONT").ok();
        let candidates = env.iter().map(String::as_str).chain(FONT_CANDIDATES);
        for p in candidates {
            if let Ok(bytes) = std::fs::read(p) {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                    return true;
                }
            }
        }
        false
    })
}

fn perr(e: impl std::fmt::Display) -> Error {
    Error::Plot(e.to_string())
}

/// Draws training loss (left axis) and train accuracy / validation UA (right axis, 0–1)
/// against epoch into a PNG of `width × height` pixels.
pub fn plot_history(
    path: impl AsRef<Path>,
    history: &[EpochLog],
    title: &str,
    (width, height): (u32, u32),
) -> Result<()> {
    if history.is_empty() {
        return Err(Error::InvalidArgument("empty history".into()));
    }
    let text = ensure_font();
    let root = BitMapBackend::new(path.as_ref(), (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(perr)?;
    let n = history.len() as f64;
    let max_loss = history
        .iter()
        .map(|h| h.train_loss)
        .fold(0.0f64, f64::max)
        .max(1e-3)
        * 1.05;
    let mut b = ChartBuilder::on(&root);
    b.margin(10);
    if text {
        b.caption(title, ("sans-serif", 20))
            .x_label_area_size(35)
            .y_label_area_size(50)
            .right_y_label_area_size(50);
    }
    let mut chart = b
        .build_cartesian_2d(1f64..n.max(2.0), 0f64..max_loss)
        .map_err(perr)?
        .set_secondary_coord(1f64..n.max(2.0), 0f64..1f64);
    if text {
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc("train loss")
            .draw()
            .map_err(perr)?;
        chart
            .configure_secondary_axes()
            .y_desc("accuracy / UA")
            .draw()
            .map_err(perr)?;
    }
    let loss = chart
        .draw_series(LineSeries::new(
            history.iter().map(|h| (h.epoch as f64, h.train_loss)),
            &BLUE,
        ))
        .map_err(perr)?;
    if text {
        loss.label("train loss")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
    }
    let acc = chart
        .draw_secondary_series(LineSeries::new(
            history.iter().map(|h| (h.epoch as f64, h.train_acc)),
            &GREEN,
        ))
        .map_err(perr)?;
    if text {
        acc.label("train acc")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREEN));
    }
    if history.iter().any(|h| h.val_ua.is_some()) {
        let ua = chart
            .draw_secondary_series(LineSeries::new(
                history
                    .iter()
                    .filter_map(|h| h.val_ua.map(|u| (h.epoch as f64, u))),
                &RED,
            ))
            .map_err(perr)?;
        if text {
            ua.label("val UA")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
        }
    }
    if text {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(perr)?;
    }
    root.present().map_err(perr)?;
    Ok(())
}
