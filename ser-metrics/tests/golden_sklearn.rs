#![allow(clippy::unwrap_used)]
//! Golden parity with scikit-learn 1.9.1: every number equal to 1e-12 (NaN must match NaN),
//! every classification report byte-identical, every fold identical.
//! Fixtures: `tests/fixtures/gen_sklearn.py` (run with /work/venv/bin/python).

use std::cell::Cell;

use ser_metrics::protocol::{group_k_fold, leave_one_group_out, stratified_group_k_fold, Fold};
use ser_metrics::*;
use serde_json::Value;

const TOL: f64 = 1e-12;

thread_local! {
    static MAX_DEV: Cell<f64> = const { Cell::new(0.0) };
    static N_CMP: Cell<usize> = const { Cell::new(0) };
}

fn load(name: &str) -> Value {
    let p = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn num(v: &Value) -> f64 {
    match v {
        Value::String(s) if s == "nan" => f64::NAN,
        Value::String(s) if s == "inf" => f64::INFINITY,
        Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
        v => v.as_f64().unwrap_or_else(|| panic!("not a number: {v}")),
    }
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .flat_map(|x| match x {
            Value::Array(_) => nums(x),
            _ => vec![num(x)],
        })
        .collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn close(got: f64, want: f64, what: &str) {
    N_CMP.with(|n| n.set(n.get() + 1));
    if want.is_nan() || got.is_nan() {
        assert!(
            want.is_nan() && got.is_nan(),
            "{what}: got {got}, sklearn {want}"
        );
        return;
    }
    if want.is_infinite() {
        assert_eq!(got, want, "{what}");
        return;
    }
    let d = (got - want).abs();
    MAX_DEV.with(|m| m.set(m.get().max(d)));
    assert!(d <= TOL, "{what}: got {got}, sklearn {want} (|d| = {d:e})");
}

fn close_all(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        close(*g, *w, &format!("{what}[{i}]"));
    }
}

fn zd(name: &str) -> ZeroDivision {
    match name {
        "warn" => ZeroDivision::Warn,
        "0" => ZeroDivision::Zero,
        "1" => ZeroDivision::One,
        "nan" => ZeroDivision::Nan,
        _ => panic!("{name}"),
    }
}

fn flags(v: &Value) -> IllDefined {
    IllDefined {
        precision: v["precision"].as_bool().unwrap(),
        recall: v["recall"].as_bool().unwrap(),
        f_score: v["f_score"].as_bool().unwrap(),
    }
}

fn check_prf(
    cm: &ConfusionMatrix,
    labels: Option<Vec<usize>>,
    zd_name: &str,
    beta: f64,
    want: &Value,
    what: &str,
) {
    let mut o = PrfOptions::default().zero_division(zd(zd_name)).beta(beta);
    o.labels = labels;
    let s = cm.class_scores(&o).unwrap();
    let pc = &want["per_class"];
    close_all(
        &s.precision,
        &nums(&pc["precision"]),
        &format!("{what} precision"),
    );
    close_all(&s.recall, &nums(&pc["recall"]), &format!("{what} recall"));
    close_all(&s.f_score, &nums(&pc["f_score"]), &format!("{what} f"));
    assert_eq!(
        s.support,
        // sklearn returns float supports when no label has a true positive
        nums(&pc["support"])
            .iter()
            .map(|&x| x as u64)
            .collect::<Vec<_>>(),
        "{what} support"
    );
    assert_eq!(
        s.ill_defined,
        flags(&pc["ill_defined"]),
        "{what} per-class warnings"
    );
    for (name, avg) in [
        ("micro", Average::Micro),
        ("macro", Average::Macro),
        ("weighted", Average::Weighted),
    ] {
        let a = s.average(avg);
        let w = &want[name];
        close(
            a.precision,
            num(&w["precision"]),
            &format!("{what} {name} precision"),
        );
        close(
            a.recall,
            num(&w["recall"]),
            &format!("{what} {name} recall"),
        );
        close(a.f_score, num(&w["f_score"]), &format!("{what} {name} f"));
        assert_eq!(
            a.ill_defined,
            flags(&w["ill_defined"]),
            "{what} {name} warnings"
        );
    }
}

fn check_report_dict(r: &ClassificationReport, want: &Value, what: &str) {
    let got = r.to_sklearn_dict();
    let (g, w) = (got.as_object().unwrap(), want.as_object().unwrap());
    let gk: Vec<&String> = g.keys().collect();
    let wk: Vec<&String> = w.keys().collect();
    let mut gs = gk.clone();
    gs.sort();
    let mut ws = wk.clone();
    ws.sort();
    assert_eq!(gs, ws, "{what}: keys");
    for (k, wv) in w {
        let gv = &g[k];
        if k == "accuracy" {
            close(num(gv), num(wv), &format!("{what} accuracy"));
        } else {
            for field in ["precision", "recall", "f1-score", "support"] {
                let gf = if gv[field].is_null() {
                    f64::NAN
                } else {
                    num(&gv[field])
                };
                close(gf, num(&wv[field]), &format!("{what} {k} {field}"));
            }
        }
    }
}

#[test]
fn metrics_match_sklearn() {
    let fx = load("sklearn_cases.json");
    assert_eq!(fx["sklearn"], "1.9.1");
    let cases = fx["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let n = c["n_classes"].as_u64().unwrap() as usize;
        let yt = usizes(&c["y_true"]);
        let yp = usizes(&c["y_pred"]);
        let all: Vec<usize> = (0..n).collect();
        let cm = ConfusionMatrix::from_predictions(&yt, &yp, Some(n)).unwrap();

        close(
            accuracy_score(&yt, &yp).unwrap(),
            num(&c["accuracy"]),
            &format!("{name} accuracy"),
        );
        close(
            balanced_accuracy_score(&yt, &yp, false).unwrap(),
            num(&c["balanced_accuracy"]),
            &format!("{name} bacc"),
        );
        close(
            unweighted_accuracy(&yt, &yp).unwrap(),
            num(&c["balanced_accuracy"]),
            &format!("{name} UA"),
        );
        close(
            weighted_accuracy(&yt, &yp).unwrap(),
            num(&c["accuracy"]),
            &format!("{name} WA"),
        );
        close(
            cm.balanced_accuracy(true).unwrap(),
            num(&c["balanced_accuracy_adjusted"]),
            &format!("{name} bacc adjusted"),
        );

        for (z, want) in c["prf_present"].as_object().unwrap() {
            check_prf(&cm, None, z, 1.0, want, &format!("{name} present zd={z}"));
        }
        for (z, want) in c["prf_all"].as_object().unwrap() {
            check_prf(
                &cm,
                Some(all.clone()),
                z,
                1.0,
                want,
                &format!("{name} all zd={z}"),
            );
        }
        for (b, want) in c["fbeta"].as_object().unwrap() {
            check_prf(
                &cm,
                Some(all.clone()),
                "warn",
                b.parse().unwrap(),
                want,
                &format!("{name} beta={b}"),
            );
        }
        // slice-level convenience functions agree with the matrix path
        let want_macro = &c["prf_present"]["warn"]["macro"];
        close(
            f1_score(&yt, &yp, Average::Macro, ZeroDivision::Warn).unwrap(),
            num(&want_macro["f_score"]),
            name,
        );
        close(
            precision_score(&yt, &yp, Average::Macro, ZeroDivision::Warn).unwrap(),
            num(&want_macro["precision"]),
            name,
        );
        close(
            recall_score(&yt, &yp, Average::Macro, ZeroDivision::Warn).unwrap(),
            num(&want_macro["recall"]),
            name,
        );

        if let Some(sub) = c.get("labels_subset") {
            let sub = usizes(sub);
            for (z, want) in c["prf_subset"].as_object().unwrap() {
                check_prf(
                    &cm,
                    Some(sub.clone()),
                    z,
                    1.0,
                    want,
                    &format!("{name} subset zd={z}"),
                );
            }
            let opts = ReportOptions::default()
                .labels(sub.clone())
                .zero_division(ZeroDivision::Zero);
            let r = cm.classification_report(&opts).unwrap();
            assert_eq!(
                r.to_text(),
                c["report_subset"].as_str().unwrap(),
                "{name} subset report"
            );
            check_report_dict(&r, &c["report_subset_dict"], &format!("{name} subset dict"));
        }

        for (w, key) in [
            (KappaWeights::None, "none"),
            (KappaWeights::Linear, "linear"),
            (KappaWeights::Quadratic, "quadratic"),
        ] {
            close(
                cohen_kappa_score(&yt, &yp, None, w).unwrap(),
                num(&c["kappa"][key]),
                &format!("{name} kappa {key}"),
            );
            close(
                cm.cohen_kappa(Some(&all), w).unwrap(),
                num(&c["kappa_all"][key]),
                &format!("{name} kappa_all {key}"),
            );
        }

        for (nm, key) in [
            (Normalize::None, "None"),
            (Normalize::True, "true"),
            (Normalize::Pred, "pred"),
            (Normalize::All, "all"),
        ] {
            close_all(
                &cm.normalized(nm),
                &nums(&c["confusion"][key]),
                &format!("{name} confusion {key}"),
            );
        }

        for (z, want) in c["report"].as_object().unwrap() {
            let r = classification_report(&yt, &yp, &ReportOptions::default().zero_division(zd(z)))
                .unwrap();
            assert_eq!(r.to_text(), want.as_str().unwrap(), "{name} report zd={z}");
            check_report_dict(
                &r,
                &c["report_dict"][z],
                &format!("{name} report dict zd={z}"),
            );
        }
        if let Some(tn) = c.get("target_names") {
            let names: Vec<String> = tn
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect();
            for (d, want) in c["report_named"].as_object().unwrap() {
                let opts = ReportOptions::default()
                    .with_class_names(&names)
                    .digits(d.parse().unwrap());
                let r = cm.classification_report(&opts).unwrap();
                assert_eq!(
                    r.to_text(),
                    want.as_str().unwrap(),
                    "{name} named report digits={d}"
                );
            }
        }

        let proba = nums(&c["proba"]);
        if let Some(ll) = c.get("log_loss") {
            close(
                log_loss(&yt, &proba, n, true).unwrap(),
                num(ll),
                &format!("{name} log_loss"),
            );
            close(
                log_loss(&yt, &proba, n, false).unwrap(),
                num(&c["log_loss_sum"]),
                &format!("{name} log_loss sum"),
            );
        }
        if let Some(tk) = c.get("top_k") {
            for (k, want) in tk.as_object().unwrap() {
                let k: usize = k.parse().unwrap();
                close(
                    top_k_accuracy_score(&yt, &proba, n, k).unwrap(),
                    num(want),
                    &format!("{name} top{k}"),
                );
            }
        }

        // the streaming evaluator, fed in uneven batches, gives the same numbers
        let ks: Vec<usize> = (1..=n).collect();
        let mut ev = StreamingEvaluator::new(n).unwrap().with_top_k(ks);
        let mut start = 0;
        let mut step = 1;
        while start < yt.len() {
            let end = (start + step).min(yt.len());
            ev.add_batch(
                &yt[start..end],
                &yp[start..end],
                Some(&proba[start * n..end * n]),
            )
            .unwrap();
            start = end;
            step = step * 2 + 1;
        }
        assert_eq!(ev.confusion_matrix(), &cm, "{name} streaming confusion");
        close(
            ev.balanced_accuracy(false).unwrap(),
            num(&c["balanced_accuracy"]),
            &format!("{name} streaming UA"),
        );
        if let Some(ll) = c.get("log_loss") {
            close(
                ev.log_loss().unwrap(),
                num(ll),
                &format!("{name} streaming log_loss"),
            );
        }
        if let Some(tk) = c.get("top_k") {
            for (k, want) in tk.as_object().unwrap() {
                close(
                    ev.top_k_accuracy(k.parse().unwrap()).unwrap(),
                    num(want),
                    &format!("{name} streaming top{k}"),
                );
            }
        }
    }

    for (i, r) in fx["regression"].as_array().unwrap().iter().enumerate() {
        let (t, p) = (nums(&r["y_true"]), nums(&r["y_pred"]));
        close(
            concordance_correlation_coefficient(&t, &p).unwrap(),
            num(&r["ccc"]),
            &format!("reg{i} ccc"),
        );
        close(
            pearson(&t, &p).unwrap(),
            num(&r["pearson"]),
            &format!("reg{i} pearson"),
        );
        close(
            mean_absolute_error(&t, &p).unwrap(),
            num(&r["mae"]),
            &format!("reg{i} mae"),
        );
        close(
            mean_squared_error(&t, &p).unwrap(),
            num(&r["mse"]),
            &format!("reg{i} mse"),
        );
    }
    eprintln!(
        "golden: {} metric cases, {} numbers compared, max |deviation| = {:e}",
        cases.len(),
        N_CMP.with(Cell::get),
        MAX_DEV.with(Cell::get)
    );
}

#[test]
fn folds_match_sklearn() {
    let fx = load("sklearn_folds.json");
    let mut counts = [0usize; 3];
    for f in fx["folds"].as_array().unwrap() {
        let groups = usizes(&f["groups"]);
        let want: Vec<Fold> = f["folds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| Fold {
                train: usizes(&x["train"]),
                test: usizes(&x["test"]),
            })
            .collect();
        let kind = f["kind"].as_str().unwrap();
        let got = match kind {
            "group_k_fold" => {
                counts[0] += 1;
                group_k_fold(&groups, f["n_splits"].as_u64().unwrap() as usize).unwrap()
            }
            "logo" => {
                counts[1] += 1;
                leave_one_group_out(&groups).unwrap()
            }
            "stratified_group_k_fold" => {
                counts[2] += 1;
                let labels = usizes(&f["labels"]);
                stratified_group_k_fold(
                    &labels,
                    &groups,
                    f["n_splits"].as_u64().unwrap() as usize,
                    false,
                    0,
                )
                .unwrap()
            }
            other => panic!("{other}"),
        };
        assert_eq!(got, want, "{kind} groups={groups:?}");
    }
    eprintln!(
        "golden folds: {} GroupKFold, {} LeaveOneGroupOut, {} StratifiedGroupKFold",
        counts[0], counts[1], counts[2]
    );
    assert!(counts.iter().all(|&c| c >= 10));
}
