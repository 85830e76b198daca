#![allow(clippy::unwrap_used)]
//! proptest invariants: bounds, permutation invariance, perfect predictions, no group on
//! both sides of a split, streaming == batch.

use proptest::prelude::*;
use ser_metrics::protocol::{
    group_k_fold, group_k_fold_shuffled, group_train_test_split, leave_one_group_out,
    stratified_group_k_fold, Fold,
};
use ser_metrics::*;

fn labels(
    n_classes: usize,
    len: std::ops::Range<usize>,
) -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    len.prop_flat_map(move |n| {
        (
            prop::collection::vec(0..n_classes, n),
            prop::collection::vec(0..n_classes, n),
        )
    })
}

fn in_unit(x: f64) -> bool {
    x.is_nan() || (0.0..=1.0).contains(&x)
}

fn check_fold(groups: &[u32], f: &Fold) {
    assert_eq!(f.train.len() + f.test.len(), groups.len());
    assert!(f.train.windows(2).all(|w| w[0] < w[1]));
    assert!(f.test.windows(2).all(|w| w[0] < w[1]));
    let test_groups: std::collections::HashSet<u32> = f.test.iter().map(|&i| groups[i]).collect();
    assert!(
        f.train.iter().all(|&i| !test_groups.contains(&groups[i])),
        "a group is on both sides"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn metrics_within_bounds((yt, yp) in labels(6, 1..120)) {
        prop_assert!(in_unit(accuracy_score(&yt, &yp).unwrap()));
        prop_assert!(in_unit(balanced_accuracy_score(&yt, &yp, false).unwrap()));
        for zd in [ZeroDivision::Warn, ZeroDivision::Zero, ZeroDivision::One, ZeroDivision::Nan] {
            let s = precision_recall_fscore_support(&yt, &yp, &PrfOptions::default().zero_division(zd)).unwrap();
            for v in s.precision.iter().chain(&s.recall).chain(&s.f_score) {
                prop_assert!(in_unit(*v));
            }
            for avg in [Average::Micro, Average::Macro, Average::Weighted] {
                let a = s.average(avg);
                prop_assert!(in_unit(a.precision) && in_unit(a.recall) && in_unit(a.f_score));
            }
        }
        for w in [KappaWeights::None, KappaWeights::Linear, KappaWeights::Quadratic] {
            let k = cohen_kappa_score(&yt, &yp, None, w).unwrap();
            prop_assert!(k.is_nan() || (-1.0 - 1e-12..=1.0 + 1e-12).contains(&k), "kappa {k}");
        }
        let cm = ConfusionMatrix::from_predictions(&yt, &yp, Some(6)).unwrap();
        for nm in [Normalize::True, Normalize::Pred, Normalize::All] {
            prop_assert!(cm.normalized(nm).iter().all(|&v| (0.0..=1.0 + 1e-12).contains(&v)));
        }
    }

    #[test]
    fn permutation_invariance((yt, yp) in labels(5, 1..80), seed in any::<u64>()) {
        use rand::{seq::SliceRandom, SeedableRng};
        let mut idx: Vec<usize> = (0..yt.len()).collect();
        idx.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
        let yt2: Vec<usize> = idx.iter().map(|&i| yt[i]).collect();
        let yp2: Vec<usize> = idx.iter().map(|&i| yp[i]).collect();
        prop_assert_eq!(accuracy_score(&yt, &yp).unwrap(), accuracy_score(&yt2, &yp2).unwrap());
        prop_assert_eq!(
            balanced_accuracy_score(&yt, &yp, false).unwrap(),
            balanced_accuracy_score(&yt2, &yp2, false).unwrap()
        );
        let r1 = classification_report(&yt, &yp, &ReportOptions::default()).unwrap();
        let r2 = classification_report(&yt2, &yp2, &ReportOptions::default()).unwrap();
        prop_assert_eq!(r1.to_text(), r2.to_text());
        prop_assert_eq!(
            cohen_kappa_score(&yt, &yp, None, KappaWeights::Quadratic).unwrap().to_bits(),
            cohen_kappa_score(&yt2, &yp2, None, KappaWeights::Quadratic).unwrap().to_bits()
        );
    }

    #[test]
    fn perfect_predictions_score_one(yt in prop::collection::vec(0usize..7, 1..100)) {
        prop_assert_eq!(f1_score(&yt, &yt, Average::Macro, ZeroDivision::Warn).unwrap(), 1.0);
        prop_assert_eq!(f1_score(&yt, &yt, Average::Weighted, ZeroDivision::Warn).unwrap(), 1.0);
        prop_assert_eq!(accuracy_score(&yt, &yt).unwrap(), 1.0);
        prop_assert_eq!(unweighted_accuracy(&yt, &yt).unwrap(), 1.0);
        let s = precision_recall_fscore_support(&yt, &yt, &PrfOptions::default()).unwrap();
        prop_assert!(!s.ill_defined.any());
    }

    #[test]
    fn streaming_equals_batch((yt, yp) in labels(4, 1..100), split in 0usize..100) {
        let split = split.min(yt.len());
        let mut ev = StreamingEvaluator::new(4).unwrap();
        ev.add_batch(&yt[..split], &yp[..split], None).unwrap();
        let mut other = StreamingEvaluator::new(4).unwrap();
        other.add_batch(&yt[split..], &yp[split..], None).unwrap();
        ev.merge(&other).unwrap();
        let cm = ConfusionMatrix::from_predictions(&yt, &yp, Some(4)).unwrap();
        prop_assert_eq!(ev.confusion_matrix(), &cm);
        prop_assert_eq!(ev.accuracy().unwrap(), accuracy_score(&yt, &yp).unwrap());
    }

    #[test]
    fn regression_bounds(v in prop::collection::vec((-10.0f64..10.0, -10.0f64..10.0), 2..60)) {
        let (t, p): (Vec<f64>, Vec<f64>) = v.into_iter().unzip();
        let c = concordance_correlation_coefficient(&t, &p).unwrap();
        let r = pearson(&t, &p).unwrap();
        prop_assert!(c.is_nan() || (-1.0 - 1e-9..=1.0 + 1e-9).contains(&c));
        prop_assert!(r.is_nan() || (-1.0..=1.0).contains(&r));
        // |CCC| <= |Pearson|
        prop_assert!(c.is_nan() || r.is_nan() || c.abs() <= r.abs() + 1e-9);
        prop_assert!(mean_absolute_error(&t, &p).unwrap() >= 0.0);
        prop_assert!(mean_squared_error(&t, &p).unwrap() >= 0.0);
    }

    #[test]
    fn splits_never_share_a_group(
        groups in prop::collection::vec(0u32..12, 2..150),
        n_splits in 2usize..6,
        seed in any::<u64>(),
        test_size in 0.1f64..0.6,
    ) {
        let n_groups = groups.iter().collect::<std::collections::HashSet<_>>().len();
        let labels: Vec<u8> = groups.iter().enumerate().map(|(i, g)| ((i as u32 + g) % 3) as u8).collect();
        if n_splits <= n_groups {
            let folds = group_k_fold(&groups, n_splits).unwrap();
            prop_assert_eq!(folds.len(), n_splits);
            let mut seen = vec![0usize; groups.len()];
            for f in &folds {
                check_fold(&groups, f);
                for &i in &f.test { seen[i] += 1; }
            }
            prop_assert!(seen.iter().all(|&s| s == 1), "test sets must partition the samples");
            for f in &group_k_fold_shuffled(&groups, n_splits, seed).unwrap() {
                check_fold(&groups, f);
            }
            prop_assert_eq!(group_k_fold_shuffled(&groups, n_splits, seed).unwrap(), group_k_fold_shuffled(&groups, n_splits, seed).unwrap());
            if let Ok(folds) = stratified_group_k_fold(&labels, &groups, n_splits, true, seed) {
                for f in &folds { check_fold(&groups, f); }
                prop_assert_eq!(&folds, &stratified_group_k_fold(&labels, &groups, n_splits, true, seed).unwrap());
            }
            if let Ok(folds) = stratified_group_k_fold(&labels, &groups, n_splits, false, seed) {
                for f in &folds { check_fold(&groups, f); }
            }
        } else {
            let too_many = matches!(group_k_fold(&groups, n_splits), Err(Error::TooManySplits { .. }));
            prop_assert!(too_many);
        }
        if n_groups >= 2 {
            let folds = leave_one_group_out(&groups).unwrap();
            prop_assert_eq!(folds.len(), n_groups);
            for f in &folds { check_fold(&groups, f); }
            if let Ok(f) = group_train_test_split(&groups, test_size, seed) {
                check_fold(&groups, &f);
                prop_assert!(!f.test.is_empty() && !f.train.is_empty());
                prop_assert_eq!(f, group_train_test_split(&groups, test_size, seed).unwrap());
            }
        }
    }
}
