//! Speaker-independent evaluation protocols (cross-validation splitters over groups).
//!
//! In speech emotion recognition a model must be evaluated on speakers it has never heard,
//! so every split here is by *group* (speaker, session, ...): no group ever appears on both
//! sides of a [`Fold`]. The splitters reproduce scikit-learn 1.9:
//!
//! | function | scikit-learn |
//! | --- | --- |
//! | [`group_k_fold`] | `GroupKFold(n_splits)` (default `shuffle=False`): identical folds |
//! | [`group_k_fold_shuffled`] | `GroupKFold(n_splits, shuffle=True)`: same algorithm, ChaCha RNG |
//! | [`leave_one_group_out`] | `LeaveOneGroupOut()`: identical folds, groups in sorted order |
//! | [`stratified_group_k_fold`] | `StratifiedGroupKFold`: identical folds when `shuffle=false` |
//! | [`group_train_test_split`] | `GroupShuffleSplit(n_splits=1, test_size)`: same sizes, ChaCha RNG |
//!
//! Shuffled variants are deterministic for a given `seed` (ChaCha8) but cannot reproduce
//! NumPy's Mersenne-Twister permutations, so they match scikit-learn in algorithm, not in
//! the exact random draw.
//!
//! Every [`Fold`] holds indices into the input arrays, each list sorted ascending.
//!
//! ```
//! use ser_metrics::protocol::{group_k_fold, leave_one_group_out};
//! let speakers = ["s1", "s1", "s2", "s3", "s3", "s3", "s4"];
//! let folds = group_k_fold(&speakers, 2).unwrap();
//! assert_eq!(folds.len(), 2);
//! for f in &folds {
//!     for &i in &f.test {
//!         assert!(f.train.iter().all(|&j| speakers[j] != speakers[i]));
//!     }
//! }
//! let logo = leave_one_group_out(&speakers).unwrap();
//! assert_eq!(logo[0].test, vec![0, 1]); // "s1" first: groups in sorted order
//! ```

use std::collections::BTreeMap;
use std::hash::Hash;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One train/test split: indices into the input arrays, each sorted ascending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fold {
    /// Training indices, ascending.
    pub train: Vec<usize>,
    /// Test indices, ascending.
    pub test: Vec<usize>,
}

impl Fold {
    /// Builds a fold from a per-sample "is test" mask.
    fn from_mask(mask: &[bool]) -> Self {
        let mut train = Vec::with_capacity(mask.len());
        let mut test = Vec::new();
        for (i, &t) in mask.iter().enumerate() {
            if t {
                test.push(i);
            } else {
                train.push(i);
            }
        }
        Fold { train, test }
    }
}

/// Groups encoded as indices into their sorted unique values (like `np.unique(return_inverse=True)`).
pub(crate) struct Encoded<G> {
    /// Sorted unique values.
    pub(crate) uniques: Vec<G>,
    /// Per-sample index into `uniques`.
    pub(crate) inverse: Vec<usize>,
    /// Samples per unique value.
    pub(crate) counts: Vec<usize>,
}

pub(crate) fn encode<G: Ord + Clone>(values: &[G]) -> Encoded<G> {
    let mut map: BTreeMap<&G, usize> = BTreeMap::new();
    for v in values {
        map.insert(v, 0);
    }
    let uniques: Vec<G> = map.keys().map(|&g| g.clone()).collect();
    for (i, v) in map.values_mut().enumerate() {
        *v = i;
    }
    let mut counts = vec![0usize; uniques.len()];
    let inverse: Vec<usize> = values
        .iter()
        .map(|v| {
            let i = map[v];
            counts[i] += 1;
            i
        })
        .collect();
    Encoded {
        uniques,
        inverse,
        counts,
    }
}

fn check_n_splits(n_splits: usize, n_groups: usize) -> Result<()> {
    if n_splits < 2 {
        return Err(Error::InvalidParameter {
            name: "n_splits",
            reason: format!("must be at least 2, got {n_splits}"),
        });
    }
    if n_splits > n_groups {
        return Err(Error::TooManySplits { n_splits, n_groups });
    }
    Ok(())
}

fn folds_from_assignment(group_fold: &[usize], inverse: &[usize], n_splits: usize) -> Vec<Fold> {
    (0..n_splits)
        .map(|f| {
            let mask: Vec<bool> = inverse.iter().map(|&g| group_fold[g] == f).collect();
            Fold::from_mask(&mask)
        })
        .collect()
}

/// K-fold over groups, scikit-learn `GroupKFold(n_splits)` semantics (no shuffle).
///
/// Groups are weighted by their number of samples; the largest group is put first into the
/// lightest fold (ties between groups of equal size: the group that sorts *last* goes first,
/// exactly as sklearn's reversed stable argsort). Returns `n_splits` folds whose test sets
/// partition the samples.
///
/// # Errors
/// [`Error::Empty`] for no samples, [`Error::InvalidParameter`] for `n_splits < 2`,
/// [`Error::TooManySplits`] when `n_splits` exceeds the number of distinct groups.
pub fn group_k_fold<G: Eq + Hash + Ord + Clone>(
    groups: &[G],
    n_splits: usize,
) -> Result<Vec<Fold>> {
    if groups.is_empty() {
        return Err(Error::Empty { what: "groups" });
    }
    let enc = encode(groups);
    check_n_splits(n_splits, enc.uniques.len())?;
    // np.argsort(counts, kind="stable")[::-1]
    let mut order: Vec<usize> = (0..enc.counts.len()).collect();
    order.sort_by_key(|&g| enc.counts[g]);
    order.reverse();
    let mut fold_weight = vec![0usize; n_splits];
    let mut group_fold = vec![0usize; enc.uniques.len()];
    for &g in &order {
        let mut lightest = 0;
        for f in 1..n_splits {
            if fold_weight[f] < fold_weight[lightest] {
                lightest = f;
            }
        }
        fold_weight[lightest] += enc.counts[g];
        group_fold[g] = lightest;
    }
    Ok(folds_from_assignment(&group_fold, &enc.inverse, n_splits))
}

/// `GroupKFold(n_splits, shuffle=True)`: the sorted unique groups are permuted (ChaCha8
/// seeded with `seed`) and cut into `n_splits` consecutive chunks like `np.array_split`
/// (the first `n_groups % n_splits` chunks get one extra group). Deterministic per seed.
///
/// # Errors
/// As [`group_k_fold`].
pub fn group_k_fold_shuffled<G: Eq + Hash + Ord + Clone>(
    groups: &[G],
    n_splits: usize,
    seed: u64,
) -> Result<Vec<Fold>> {
    if groups.is_empty() {
        return Err(Error::Empty { what: "groups" });
    }
    let enc = encode(groups);
    let n_groups = enc.uniques.len();
    check_n_splits(n_splits, n_groups)?;
    let mut perm: Vec<usize> = (0..n_groups).collect();
    perm.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let mut group_fold = vec![0usize; n_groups];
    let (q, r) = (n_groups / n_splits, n_groups % n_splits);
    let mut pos = 0;
    for f in 0..n_splits {
        let len = q + usize::from(f < r);
        for &g in &perm[pos..pos + len] {
            group_fold[g] = f;
        }
        pos += len;
    }
    Ok(folds_from_assignment(&group_fold, &enc.inverse, n_splits))
}

/// One fold per distinct group, the group being the test set; folds in sorted group order
/// (scikit-learn `LeaveOneGroupOut`).
///
/// # Errors
/// [`Error::Empty`] for no samples, [`Error::TooManySplits`] with fewer than 2 groups.
pub fn leave_one_group_out<G: Eq + Hash + Ord + Clone>(groups: &[G]) -> Result<Vec<Fold>> {
    if groups.is_empty() {
        return Err(Error::Empty { what: "groups" });
    }
    let enc = encode(groups);
    let n_groups = enc.uniques.len();
    if n_groups < 2 {
        return Err(Error::TooManySplits {
            n_splits: 2,
            n_groups,
        });
    }
    let group_fold: Vec<usize> = (0..n_groups).collect();
    Ok(folds_from_assignment(&group_fold, &enc.inverse, n_groups))
}

/// NumPy's pairwise summation of a contiguous `float64` array (`np.add.reduce`), reproduced
/// operation by operation so that tie-breaking agrees bit for bit with scikit-learn.
pub(crate) fn np_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for &x in a {
            res += x;
        }
        res
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - (n % 8) {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        np_sum(&a[..n2]) + np_sum(&a[n2..])
    }
}

/// `np.std(a)` (ddof = 0) of a contiguous vector, in NumPy's operation order.
fn np_std(a: &[f64]) -> f64 {
    let n = a.len() as f64;
    let mean = np_sum(a) / n;
    let sq: Vec<f64> = a
        .iter()
        .map(|&x| {
            let d = x - mean;
            d * d
        })
        .collect();
    (np_sum(&sq) / n).sqrt()
}

/// `np.isclose(a, b)` with the default tolerances (rtol = 1e-5, atol = 1e-8).
fn np_isclose(a: f64, b: f64) -> bool {
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    (a - b).abs() <= 1e-8 + 1e-5 * b.abs()
}

/// Stratified k-fold over groups (scikit-learn `StratifiedGroupKFold`): groups are assigned
/// greedily, most class-imbalanced first, to the fold that keeps the per-class fold
/// distribution most even (mean over classes of the std over folds of the class fraction),
/// ties (within `np.isclose`) going to the fold with fewer samples.
///
/// With `shuffle = false` the folds are identical to scikit-learn's (the arithmetic is done
/// in NumPy's order so ties break the same way). With `shuffle = true` the group order is
/// permuted with ChaCha8 seeded by `seed` before the stable sort, as sklearn does with its RNG.
///
/// # Errors
/// [`Error::LengthMismatch`] if `labels` and `groups` differ in length, [`Error::Empty`],
/// [`Error::InvalidParameter`] for `n_splits < 2` or when every class has fewer than
/// `n_splits` members, [`Error::TooManySplits`] when `n_splits` exceeds the number of groups.
pub fn stratified_group_k_fold<L: Eq + Hash + Ord + Clone, G: Eq + Hash + Ord + Clone>(
    labels: &[L],
    groups: &[G],
    n_splits: usize,
    shuffle: bool,
    seed: u64,
) -> Result<Vec<Fold>> {
    if labels.len() != groups.len() {
        return Err(Error::LengthMismatch {
            what: "groups",
            expected: labels.len(),
            got: groups.len(),
        });
    }
    if labels.is_empty() {
        return Err(Error::Empty { what: "labels" });
    }
    if n_splits < 2 {
        return Err(Error::InvalidParameter {
            name: "n_splits",
            reason: format!("must be at least 2, got {n_splits}"),
        });
    }
    let y = encode(labels);
    let n_classes = y.uniques.len();
    if y.counts.iter().all(|&c| c < n_splits) {
        return Err(Error::InvalidParameter {
            name: "n_splits",
            reason: format!(
                "n_splits={n_splits} cannot be greater than the number of members in each class"
            ),
        });
    }
    let g = encode(groups);
    let n_groups = g.uniques.len();
    check_n_splits(n_splits, n_groups)?;
    let y_cnt: Vec<f64> = y.counts.iter().map(|&c| c as f64).collect();

    // y_counts_per_group[group][class]
    let mut per_group = vec![vec![0.0f64; n_classes]; n_groups];
    for (&c, &gi) in y.inverse.iter().zip(&g.inverse) {
        per_group[gi][c] += 1.0;
    }
    // position of each original group in the (possibly shuffled) order
    let mut perm: Vec<usize> = (0..n_groups).collect();
    if shuffle {
        perm.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    }
    // shuffled[k] = per_group[perm[k]]
    let neg_std: Vec<f64> = perm.iter().map(|&gi| -np_std(&per_group[gi])).collect();
    let mut sorted: Vec<usize> = (0..n_groups).collect();
    sorted.sort_by(|&a, &b| neg_std[a].total_cmp(&neg_std[b]));

    let mut fold_counts = vec![vec![0.0f64; n_classes]; n_splits];
    let mut group_fold = vec![0usize; n_groups];
    let mut std_per_class = vec![0.0f64; n_classes];
    for &k in &sorted {
        let gi = perm[k];
        let gy = &per_group[gi];
        let mut best = 0;
        let mut min_eval = f64::INFINITY;
        let mut min_samples = f64::INFINITY;
        for i in 0..n_splits {
            for (c, v) in fold_counts[i].iter_mut().enumerate() {
                *v += gy[c];
            }
            // np.std(y_counts_per_fold / y_cnt, axis=0): column sums are sequential over rows
            // (pairwise when there is a single column).
            for (c, out) in std_per_class.iter_mut().enumerate() {
                let col: Vec<f64> = fold_counts.iter().map(|row| row[c] / y_cnt[c]).collect();
                *out = if n_classes == 1 {
                    np_std(&col)
                } else {
                    let n = col.len() as f64;
                    let mut s = 0.0;
                    for &x in &col {
                        s += x;
                    }
                    let mean = s / n;
                    let mut ss = 0.0;
                    for &x in &col {
                        let d = x - mean;
                        ss += d * d;
                    }
                    (ss / n).sqrt()
                };
            }
            for (c, v) in fold_counts[i].iter_mut().enumerate() {
                *v -= gy[c];
            }
            let fold_eval = np_sum(&std_per_class) / n_classes as f64;
            let samples_in_fold = np_sum(&fold_counts[i]);
            if fold_eval < min_eval
                || (np_isclose(fold_eval, min_eval) && samples_in_fold < min_samples)
            {
                min_eval = fold_eval;
                min_samples = samples_in_fold;
                best = i;
            }
        }
        for (c, v) in fold_counts[best].iter_mut().enumerate() {
            *v += gy[c];
        }
        group_fold[gi] = best;
    }
    Ok(folds_from_assignment(&group_fold, &g.inverse, n_splits))
}

/// A single group-wise train/test split (scikit-learn `GroupShuffleSplit(n_splits=1)` sizes):
/// `ceil(test_size * n_groups)` groups, drawn by a ChaCha8 permutation seeded with `seed`,
/// form the test set; the rest is train. `test_size` is a fraction in `(0, 1)`.
///
/// # Errors
/// [`Error::Empty`], [`Error::InvalidParameter`] if `test_size` is not in `(0, 1)` or leaves
/// an empty train or test side, [`Error::TooManySplits`] with fewer than 2 groups.
pub fn group_train_test_split<G: Eq + Hash + Ord + Clone>(
    groups: &[G],
    test_size: f64,
    seed: u64,
) -> Result<Fold> {
    if groups.is_empty() {
        return Err(Error::Empty { what: "groups" });
    }
    if !(test_size > 0.0 && test_size < 1.0) {
        return Err(Error::InvalidParameter {
            name: "test_size",
            reason: format!("must be in (0, 1), got {test_size}"),
        });
    }
    let enc = encode(groups);
    let n_groups = enc.uniques.len();
    if n_groups < 2 {
        return Err(Error::TooManySplits {
            n_splits: 2,
            n_groups,
        });
    }
    let n_test = (test_size * n_groups as f64).ceil() as usize;
    if n_test == 0 || n_test >= n_groups {
        return Err(Error::InvalidParameter {
            name: "test_size",
            reason: format!("test_size={test_size} with {n_groups} groups leaves an empty side"),
        });
    }
    let mut perm: Vec<usize> = (0..n_groups).collect();
    perm.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let mut is_test = vec![false; n_groups];
    for &g in &perm[..n_test] {
        is_test[g] = true;
    }
    let mask: Vec<bool> = enc.inverse.iter().map(|&g| is_test[g]).collect();
    Ok(Fold::from_mask(&mask))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_disjoint<G: Eq>(groups: &[G], f: &Fold) {
        for &i in &f.test {
            assert!(f.train.iter().all(|&j| groups[j] != groups[i]));
        }
        assert_eq!(f.train.len() + f.test.len(), groups.len());
        assert!(f.train.windows(2).all(|w| w[0] < w[1]));
        assert!(f.test.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn group_k_fold_matches_hand_computed() {
        // sizes: a=3, b=1, c=2, d=2  -> order by size desc, ties later-first: a, d, c, b
        // a->0, d->1, c->1? no: weights [3,0] -> d->1 ([3,2]), c->1 ([3,4]), b->0 ([4,4])
        let g = ["a", "a", "a", "b", "c", "c", "d", "d"];
        let folds = group_k_fold(&g, 2).unwrap();
        assert_eq!(folds[0].test, vec![0, 1, 2, 3]);
        assert_eq!(folds[1].test, vec![4, 5, 6, 7]);
        for f in &folds {
            assert_disjoint(&g, f);
        }
    }

    #[test]
    fn errors_are_typed() {
        assert!(matches!(
            group_k_fold(&[1, 1, 2], 3),
            Err(Error::TooManySplits {
                n_splits: 3,
                n_groups: 2
            })
        ));
        assert!(matches!(
            group_k_fold::<u8>(&[], 2),
            Err(Error::Empty { .. })
        ));
        assert!(matches!(
            group_k_fold(&[1, 2], 1),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            leave_one_group_out(&[1, 1]),
            Err(Error::TooManySplits { .. })
        ));
        assert!(matches!(
            stratified_group_k_fold(&[0, 1], &[1, 2, 3], 2, false, 0),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            group_train_test_split(&[1, 2, 3], 1.5, 0),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn shuffled_and_split_are_deterministic_and_disjoint() {
        let g: Vec<u32> = (0..60).map(|i| i % 7).collect();
        let a = group_k_fold_shuffled(&g, 3, 42).unwrap();
        let b = group_k_fold_shuffled(&g, 3, 42).unwrap();
        assert_eq!(a, b);
        for f in &a {
            assert_disjoint(&g, f);
        }
        let s = group_train_test_split(&g, 0.25, 7).unwrap();
        assert_eq!(s, group_train_test_split(&g, 0.25, 7).unwrap());
        assert_disjoint(&g, &s);
        let labels: Vec<u8> = (0..60).map(|i| (i % 4) as u8).collect();
        let st = stratified_group_k_fold(&labels, &g, 3, true, 1).unwrap();
        assert_eq!(
            st,
            stratified_group_k_fold(&labels, &g, 3, true, 1).unwrap()
        );
        for f in &st {
            assert_disjoint(&g, f);
        }
    }
}
