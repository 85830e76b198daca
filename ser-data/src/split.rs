//! Speaker-independent splits, through `ser-metrics`' group protocols.
//!
//! Every split groups utterances by speaker key (`corpus/speaker`), so no speaker is ever on
//! both sides of a [`Fold`]. Fold indices point into [`Corpus::utterances`].
//!
//! # Corpus-standard splits ([`Corpus::standard_folds`])
//!
//! None of the five built-in corpora defines an official train/test partition, so the
//! standard protocol is the usual speaker-independent one:
//!
//! | corpus | folds |
//! |---|---|
//! | EmoDB | leave-one-speaker-out (10 folds) |
//! | RAVDESS | 4 actor folds: actors 1–6, 7–12, 13–18, 19–24 (each 3 male + 3 female) |
//! | CREMA-D | 5-fold speaker k-fold (`GroupKFold(5)` over the 91 actors) |
//! | TESS | leave-one-speaker-out (2 folds: OAF ↔ YAF) |
//! | SAVEE | leave-one-speaker-out (4 folds) |
//! | manifest with a `split` column | one fold: `train` rows vs `test` rows (validation rows in neither; see [`Corpus::indices_of`]) |
//! | anything else | leave-one-speaker-out |
//!
//! The RAVDESS grouping is a deterministic, gender-balanced choice of this crate (papers use
//! various actor-based folds); use [`Corpus::loso`] or [`Corpus::speaker_k_fold`] for others.

use std::collections::BTreeSet;

use ser_metrics::protocol as p;
pub use ser_metrics::protocol::Fold;

use crate::{Corpus, CorpusKind, Error, Result, Split};

impl Corpus {
    fn speaker_keys(&self) -> Vec<String> {
        self.utterances.iter().map(|u| u.speaker_key()).collect()
    }

    /// Leave-one-speaker-out: one fold per speaker, in the order of
    /// [`speakers`](Corpus::speakers) (fold `i` tests speaker `speakers()[i]`).
    ///
    /// ```
    /// use ser_data::{Corpus, EmotionLabel, Utterance};
    /// let utts = ["a", "a", "b", "c"].iter().enumerate()
    ///     .map(|(i, s)| Utterance::new(format!("{i}.wav"), "toy", EmotionLabel::Anger, *s))
    ///     .collect();
    /// let corpus = Corpus::new("toy", "", utts);
    /// let folds = corpus.loso().unwrap();
    /// assert_eq!(folds.len(), 3);
    /// assert_eq!(folds[0].test, vec![0, 1]);
    /// corpus.check_speaker_independent(&folds).unwrap();
    /// ```
    pub fn loso(&self) -> Result<Vec<Fold>> {
        Ok(p::leave_one_group_out(&self.speaker_keys())?)
    }

    /// Speaker k-fold (scikit-learn `GroupKFold(k)`: speakers balanced by utterance count).
    pub fn speaker_k_fold(&self, k: usize) -> Result<Vec<Fold>> {
        Ok(p::group_k_fold(&self.speaker_keys(), k)?)
    }

    /// Speaker k-fold stratified by label (scikit-learn `StratifiedGroupKFold`).
    pub fn stratified_speaker_k_fold(
        &self,
        k: usize,
        shuffle: bool,
        seed: u64,
    ) -> Result<Vec<Fold>> {
        let labels: Vec<_> = self.utterances.iter().map(|u| u.label.clone()).collect();
        Ok(p::stratified_group_k_fold(
            &labels,
            &self.speaker_keys(),
            k,
            shuffle,
            seed,
        )?)
    }

    /// One random speaker-wise train/test split with `ceil(test_size · n_speakers)` test
    /// speakers (scikit-learn `GroupShuffleSplit(n_splits=1)` sizes), deterministic per seed.
    pub fn speaker_train_test_split(&self, test_size: f64, seed: u64) -> Result<Fold> {
        Ok(p::group_train_test_split(
            &self.speaker_keys(),
            test_size,
            seed,
        )?)
    }

    /// Indices of the utterances whose manifest `split` is `split`.
    pub fn indices_of(&self, split: Split) -> Vec<usize> {
        self.utterances
            .iter()
            .enumerate()
            .filter(|(_, u)| u.split == Some(split))
            .map(|(i, _)| i)
            .collect()
    }

    /// The corpus-standard folds (see the [module docs](crate::split) for the table), checked
    /// to be speaker-independent.
    ///
    /// Errors: [`Error::SpeakerLeak`] when a manifest's `split` column puts a speaker in both
    /// train and test; [`Error::Split`] when there are too few speakers.
    pub fn standard_folds(&self) -> Result<Vec<Fold>> {
        let has_split = self.utterances.iter().any(|u| u.split.is_some());
        let folds = match self.kind {
            Some(CorpusKind::Ravdess) => self.ravdess_folds()?,
            Some(CorpusKind::CremaD) => self.speaker_k_fold(5)?,
            _ if has_split => {
                let fold = Fold {
                    train: self.indices_of(Split::Train),
                    test: self.indices_of(Split::Test),
                };
                if fold.train.is_empty() || fold.test.is_empty() {
                    return Err(Error::InvalidArgument(format!(
                        "the split column gives {} train and {} test utterances; both must be non-empty",
                        fold.train.len(),
                        fold.test.len()
                    )));
                }
                vec![fold]
            }
            _ => self.loso()?,
        };
        self.check_speaker_independent(&folds)?;
        Ok(folds)
    }

    fn ravdess_folds(&self) -> Result<Vec<Fold>> {
        let mut folds = vec![
            Fold {
                train: Vec::new(),
                test: Vec::new()
            };
            4
        ];
        for (i, u) in self.utterances.iter().enumerate() {
            let actor: usize = u.speaker.parse().map_err(|_| {
                Error::InvalidArgument(format!("RAVDESS speaker {:?} is not a number", u.speaker))
            })?;
            let f = actor.saturating_sub(1) / 6;
            for (j, fold) in folds.iter_mut().enumerate() {
                if j == f.min(3) {
                    fold.test.push(i);
                } else {
                    fold.train.push(i);
                }
            }
        }
        folds.retain(|f| !f.test.is_empty() && !f.train.is_empty());
        if folds.len() < 2 {
            return Err(Error::InvalidArgument(
                "RAVDESS actor folds need actors from at least two of 1-6, 7-12, 13-18, 19-24"
                    .into(),
            ));
        }
        Ok(folds)
    }

    /// Errors with [`Error::SpeakerLeak`] if any fold has a speaker on both sides, or
    /// [`Error::InvalidArgument`] if an index is out of range.
    pub fn check_speaker_independent(&self, folds: &[Fold]) -> Result<()> {
        let key = |i: usize| {
            self.utterances
                .get(i)
                .map(|u| u.speaker_key())
                .ok_or_else(|| Error::InvalidArgument(format!("fold index {i} out of range")))
        };
        for (f, fold) in folds.iter().enumerate() {
            let train: BTreeSet<String> =
                fold.train.iter().map(|&i| key(i)).collect::<Result<_>>()?;
            for &i in &fold.test {
                let k = key(i)?;
                if train.contains(&k) {
                    return Err(Error::SpeakerLeak {
                        speaker: k,
                        fold: f,
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EmotionLabel, Gender, Utterance};

    fn toy(kind: Option<CorpusKind>, speakers: &[&str]) -> Corpus {
        let utts = speakers
            .iter()
            .enumerate()
            .map(|(i, s)| {
                Utterance::new(
                    format!("{i:03}.wav"),
                    kind.map_or("toy", |k| k.name()),
                    if i % 2 == 0 {
                        EmotionLabel::Anger
                    } else {
                        EmotionLabel::Sadness
                    },
                    *s,
                )
                .with_gender(Gender::Unknown)
            })
            .collect();
        let mut c = Corpus::new("toy", "", utts);
        c.kind = kind;
        c
    }

    #[test]
    fn protocols_are_speaker_independent() {
        let c = toy(None, &["a", "a", "b", "b", "c", "c", "d", "d", "e", "e"]);
        for folds in [
            c.loso().expect("loso"),
            c.speaker_k_fold(2).expect("kfold"),
            c.stratified_speaker_k_fold(2, true, 3).expect("sgkf"),
            vec![c.speaker_train_test_split(0.4, 1).expect("split")],
            c.standard_folds().expect("standard"),
        ] {
            c.check_speaker_independent(&folds).expect("independent");
        }
        assert_eq!(c.loso().expect("loso").len(), 5);
        assert!(c.speaker_k_fold(6).is_err());
    }

    #[test]
    fn ravdess_actor_folds() {
        let actors: Vec<String> = (1..=24).map(|a| format!("{a:02}")).collect();
        let refs: Vec<&str> = actors.iter().map(String::as_str).collect();
        let c = toy(Some(CorpusKind::Ravdess), &refs);
        let folds = c.standard_folds().expect("folds");
        assert_eq!(folds.len(), 4);
        assert_eq!(folds[0].test, (0..6).collect::<Vec<_>>());
        assert_eq!(folds[3].test, (18..24).collect::<Vec<_>>());
    }

    #[test]
    fn manifest_split_leak_is_an_error() {
        let mut c = toy(None, &["a", "a", "b", "b"]);
        c.utterances[0].split = Some(Split::Train);
        c.utterances[1].split = Some(Split::Test);
        c.utterances[2].split = Some(Split::Train);
        c.utterances[3].split = Some(Split::Validation);
        assert!(matches!(c.standard_folds(), Err(Error::SpeakerLeak { .. })));
        assert_eq!(c.indices_of(Split::Validation), vec![3]);
        c.utterances[1].split = Some(Split::Train);
        c.utterances[2].split = Some(Split::Test);
        let folds = c.standard_folds().expect("clean split");
        // Validation rows are in neither side.
        assert_eq!(
            folds,
            vec![Fold {
                train: vec![0, 1],
                test: vec![2]
            }]
        );
    }
}
