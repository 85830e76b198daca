"""The GIL is released while Rust works: another Python thread keeps running during a call,
and two threads finish two calls sooner than one thread does."""

import os
import threading
import time

import numpy as np
import pytest

import ser


def work():
    rng = np.random.default_rng(0)
    # ten minutes of noise: ~0.1 s of Rust work per call, long enough that thread start-up
    # and other libraries' idle worker threads do not decide the timing
    y = rng.standard_normal(16000 * 600).astype(np.float32)
    return lambda: ser.feature.mfcc(y=y, sr=16000, n_fft=512, hop_length=160, n_mels=40)


def test_other_threads_run_during_a_call():
    job = work()
    job()  # warm up (plan cache)
    done = threading.Event()
    gaps, ticks = [], []

    def worker():
        for _ in range(3):
            job()
        done.set()

    t = threading.Thread(target=worker)
    start = time.perf_counter()
    t.start()
    last = start
    while not done.is_set():
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
        ticks.append(now)
        time.sleep(0.001)
    t.join()
    total = time.perf_counter() - start
    # with the GIL held for a whole call the main loop would stall for ~a third of `total`
    assert total > 0.05, "job too short to tell"
    assert max(gaps) < 0.25 * total, f"main thread stalled {max(gaps):.3f} s of {total:.3f} s"
    assert len(ticks) > 20


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="SKIPPED: needs 2 cores")
def test_two_threads_speed_up():
    job = work()
    job()

    def serial():
        t0 = time.perf_counter()
        job()
        job()
        return time.perf_counter() - t0

    def threaded():
        ts = [threading.Thread(target=job) for _ in range(2)]
        t0 = time.perf_counter()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return time.perf_counter() - t0

    one = min(serial() for _ in range(3))
    two = min(threaded() for _ in range(3))
    print(f"2 calls: one thread {one:.3f} s, two threads {two:.3f} s ({one / two:.2f}x)")
    assert two < 0.8 * one
