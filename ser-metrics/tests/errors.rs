#![allow(clippy::unwrap_used)]
//! Bad input is a typed error, never a panic.

use ser_metrics::protocol::{group_k_fold, leave_one_group_out, stratified_group_k_fold};
use ser_metrics::*;

#[test]
fn length_mismatch() {
    assert!(matches!(
        accuracy_score(&[0, 1], &[0]),
        Err(Error::LengthMismatch {
            expected: 2,
            got: 1,
            ..
        })
    ));
    assert!(matches!(
        classification_report(&[0, 1], &[0], &ReportOptions::default()),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        log_loss(&[0, 1], &[0.5, 0.5, 0.5], 2, true),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        top_k_accuracy_score(&[0], &[0.5, 0.5], 3, 1),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        pearson(&[0.0, 1.0], &[1.0]),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        stratified_group_k_fold(&[0, 1, 0], &[1, 2], 2, false, 0),
        Err(Error::LengthMismatch { .. })
    ));
    let opts = ReportOptions::default()
        .labels(vec![0, 1])
        .target_names(vec!["a".into()]);
    assert!(matches!(
        classification_report(&[0, 1], &[0, 1], &opts),
        Err(Error::LengthMismatch { .. })
    ));
    let mut a = ConfusionMatrix::new(3).unwrap();
    assert!(matches!(
        a.merge(&ConfusionMatrix::new(4).unwrap()),
        Err(Error::LengthMismatch { .. })
    ));
}

#[test]
fn empty_input() {
    assert!(matches!(accuracy_score(&[], &[]), Err(Error::Empty { .. })));
    assert!(matches!(
        balanced_accuracy_score(&[], &[], false),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        f1_score(&[], &[], Average::Macro, ZeroDivision::Warn),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        concordance_correlation_coefficient(&[], &[]),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        log_loss(&[], &[], 2, true),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        group_k_fold::<u8>(&[], 2),
        Err(Error::Empty { .. })
    ));
    let ev = StreamingEvaluator::new(3).unwrap();
    assert!(matches!(ev.accuracy(), Err(Error::Empty { .. })));
    assert!(matches!(ev.log_loss(), Err(Error::Empty { .. })));
    assert!(matches!(
        bootstrap_ci(0, &BootstrapOptions::default(), |_| 0.0),
        Err(Error::Empty { .. })
    ));
    let o = PrfOptions::default().labels(vec![]);
    assert!(matches!(
        precision_recall_fscore_support(&[0], &[0], &o),
        Err(Error::Empty { .. })
    ));
}

#[test]
fn unknown_label() {
    let mut cm = ConfusionMatrix::new(3).unwrap();
    assert!(matches!(
        cm.add(3, 0),
        Err(Error::UnknownLabel {
            label: 3,
            n_classes: 3
        })
    ));
    assert!(matches!(
        cm.add_batch(&[0, 1], &[1, 7]),
        Err(Error::UnknownLabel { label: 7, .. })
    ));
    assert_eq!(cm.total(), 0, "a failed batch adds nothing");
    assert!(matches!(
        ConfusionMatrix::from_predictions(&[0, 5], &[0, 1], Some(3)),
        Err(Error::UnknownLabel { .. })
    ));
    assert!(matches!(
        log_loss(&[2], &[0.5, 0.5], 2, true),
        Err(Error::UnknownLabel { .. })
    ));
    assert!(matches!(
        top_k_accuracy_score(&[4], &[0.2, 0.3, 0.5], 3, 1),
        Err(Error::UnknownLabel { .. })
    ));
    cm.add_batch(&[0, 1], &[1, 2]).unwrap();
    let o = PrfOptions::default().labels(vec![0, 9]);
    assert!(matches!(
        cm.class_scores(&o),
        Err(Error::UnknownLabel { label: 9, .. })
    ));
    let enc = LabelEncoder::fit(&["angry", "sad"]);
    assert!(matches!(
        enc.transform(&["happy"]),
        Err(Error::UnknownLabelName { .. })
    ));
    let mut ev = StreamingEvaluator::new(2).unwrap();
    assert!(matches!(
        ev.add_batch(&[0, 2], &[0, 1], None),
        Err(Error::UnknownLabel { .. })
    ));
}

#[test]
fn splits_and_parameters() {
    assert!(matches!(
        group_k_fold(&[1, 1, 2, 2], 3),
        Err(Error::TooManySplits {
            n_splits: 3,
            n_groups: 2
        })
    ));
    assert!(matches!(
        leave_one_group_out(&["a", "a"]),
        Err(Error::TooManySplits { .. })
    ));
    assert!(matches!(
        stratified_group_k_fold(&[0, 1, 0, 1], &[1, 1, 2, 2], 3, false, 0),
        Err(Error::InvalidParameter { .. }) | Err(Error::TooManySplits { .. })
    ));
    assert!(matches!(
        top_k_accuracy_score(&[0], &[1.0, 0.0, 0.0], 3, 0),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        log_loss(&[0], &[1.2, -0.2], 2, true),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        log_loss(&[0], &[f64::NAN, 0.5], 2, true),
        Err(Error::NonFinite { index: 0, .. })
    ));
    assert!(matches!(
        pearson(&[0.0, f64::INFINITY], &[0.0, 1.0]),
        Err(Error::NonFinite { .. })
    ));
    let o = PrfOptions::default().beta(-1.0);
    assert!(matches!(
        precision_recall_fscore_support(&[0], &[0], &o),
        Err(Error::InvalidParameter { .. })
    ));
    let b = BootstrapOptions::default().confidence(1.5);
    assert!(matches!(
        bootstrap_ci(3, &b, |_| 0.0),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        ConfusionMatrix::new(0),
        Err(Error::InvalidParameter { .. })
    ));
    let ev = StreamingEvaluator::new(3).unwrap();
    assert!(matches!(
        ev.top_k_accuracy(2),
        Err(Error::InvalidParameter { .. })
    ));
}
