//! Training-curve PNG (plotters), using the font embedded in `ser-metrics` (no system fonts).

use std::path::Path;

use plotters::prelude::*;

use crate::train::EpochLog;
use crate::{Error, Result};

/// Registers the font embedded in `ser-metrics`; returns whether text can be drawn.
pub(crate) fn ensure_font() -> bool {
    ser_metrics::plot::register_embedded_font().is_ok()
}

const FONT: &str = ser_metrics::plot::FONT_FAMILY;

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
        b.caption(title, (FONT, 20))
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
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 14))
            .x_desc("epoch")
            .y_desc("train loss")
            .draw()
            .map_err(perr)?;
        chart
            .configure_secondary_axes()
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 14))
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
            .label_font((FONT, 12))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(perr)?;
    }
    root.present().map_err(perr)?;
    Ok(())
}
