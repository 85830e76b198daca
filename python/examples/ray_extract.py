"""Corpus-scale feature extraction with `ser` on Ray Data.

    python python/examples/ray_extract.py DIR [DIR ...] --feature-set eGeMAPSv02 \
        --out features.parquet [--workers N] [--address ADDRESS] [--check]

Ray Data lists and reads the audio files (`read_binary_files`: a local folder, a shared
filesystem, or object storage such as `s3://bucket/corpus`), `map_batches` decodes each file's
bytes and computes one row of functionals with `ser.Smile` in a pool of `--workers` actors
(one CPU each), and `write_parquet` writes the rows (`path`, `error`, `duration_s`, then one
column per feature). A file that cannot be decoded or has no usable audio gets its message
in `error` and NaN features; the rest of the corpus completes. Without `--address` the
script starts a local Ray cluster with `--workers` + 1 CPU slots (the extra one runs the
reads and writes); with `--address auto` (or
`ray://host:10001`) it joins a running cluster (see the README, "Ray").

`--check` reads the Parquet back and compares it with `ser.Smile(...).process_files` run in
this process on the same files: same rows, same errors, values equal.
"""
import argparse
import os
import sys
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import ray

import ser

AUDIO_EXTENSIONS = ["wav", "flac", "mp3", "ogg", "WAV", "FLAC", "MP3", "OGG"]


class Extract:
    """One actor: a planned `ser.Smile`, applied to a batch of file bytes."""

    def __init__(self, feature_set, sampling_rate):
        self.smile = ser.Smile(feature_set, sampling_rate=sampling_rate)
        self.names = self.smile.feature_names

    def __call__(self, batch):
        n = len(batch["path"])
        values = np.full((n, len(self.names)), np.nan, dtype=np.float32)
        durations = np.full(n, np.nan)
        errors = [None] * n
        for i, data in enumerate(batch["bytes"]):
            try:
                y, sr = ser.load(data, sr=None)
                values[i] = self.smile(y, sr)[0]
                durations[i] = len(y) / sr
            except ser.Error as e:
                errors[i] = f"{type(e).__name__}: {e}"
        # an explicit schema: `error` is a string column even in a block without failures
        columns = [pa.array(batch["path"], pa.string()), pa.array(errors, pa.string()),
                   pa.array(durations, pa.float64())]
        columns += [pa.array(values[:, j]) for j in range(len(self.names))]
        return pa.Table.from_arrays(columns, names=["path", "error", "duration_s"] + self.names)


def check(out, paths, feature_set, sampling_rate):
    got = pd.read_parquet(out).set_index("path").sort_index()
    ref = ser.Smile(feature_set, sampling_rate=sampling_rate).process_files(paths, errors="coerce")
    ref.index = ref.index.get_level_values("file")
    ref = ref.sort_index()
    assert list(got.index) == list(ref.index), "different files"
    failed = set(got.index[got["error"].notna()])
    assert failed == set(ref.attrs["errors"]), f"errors differ: {failed ^ set(ref.attrs['errors'])}"
    a, b = got[ref.columns].to_numpy(np.float32), ref.to_numpy(np.float32)
    same = np.array_equal(a, b, equal_nan=True)
    print(f"check: {len(got)} rows, {len(failed)} failed files, values equal to the single-process "
          f"output: {same} (max |diff| {np.nanmax(np.abs(a - b)) if len(a) else 0:.3g})")
    return same


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dirs", nargs="+", help="folders (or s3:// prefixes) of audio files, searched recursively")
    ap.add_argument("--feature-set", default="eGeMAPSv02", help="eGeMAPSv02, ComParE_2016 or a ser set name")
    ap.add_argument("--sampling-rate", type=int, default=None, help="resample to this rate first (default: each file's own)")
    ap.add_argument("--out", default="features.parquet", help="output Parquet directory")
    ap.add_argument("--workers", type=int, default=os.cpu_count(), help="extraction actors (1 CPU each)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--address", default=None, help="join this Ray cluster instead of starting a local one")
    ap.add_argument("--check", action="store_true", help="compare with single-process ser.Smile output")
    args = ap.parse_args()

    if args.address:
        ray.init(address=args.address)
    else:
        # one CPU slot per extraction actor, plus one for the (I/O-bound) read and write tasks;
        # without it the actors hold every slot and the reads never get scheduled
        ray.init(num_cpus=args.workers + 1, include_dashboard=False)
    ser.Smile(args.feature_set)  # fail early on a bad set name

    start = time.perf_counter()
    # reads are I/O: a quarter CPU each, so several run beside the extraction actors
    ds = ray.data.read_binary_files(args.dirs, include_paths=True, file_extensions=AUDIO_EXTENSIONS,
                                    ray_remote_args={"num_cpus": 0.25})
    ds = ds.map_batches(
        Extract,
        fn_constructor_args=(args.feature_set, args.sampling_rate),
        batch_size=args.batch_size,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=args.workers),
        num_cpus=1,
    )
    ds.write_parquet(args.out)
    elapsed = time.perf_counter() - start

    table = pd.read_parquet(args.out, columns=["path", "error", "duration_s"])
    n, n_bad = len(table), int(table["error"].notna().sum())
    audio = float(table["duration_s"].sum())
    print(f"{n} files ({n_bad} failed), {audio:.0f} s of audio, {args.workers} workers: {elapsed:.1f} s "
          f"= {n / elapsed:.1f} files/s, {audio / elapsed:.0f}x real time -> {args.out}")
    for p, e in table.loc[table["error"].notna(), ["path", "error"]].itertuples(index=False):
        print(f"  failed: {p}: {e}")
    ok = True
    if args.check:
        ok = check(args.out, list(table["path"]), args.feature_set, args.sampling_rate)
    ray.shutdown()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
