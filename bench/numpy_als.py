"""Reference ALS in numpy for the `als` benchmark: explicit, biased, weighted-λ (ALS-WR), per-row solves.

Usage: python3 numpy_als.py <ratings.bin> <rank> <lambda> [iterations]
ratings.bin: little-endian int32 users, int32 items, float32 values (n each), preceded by int32 n,
users, items. Prints one JSON object: the seconds of each iteration (users then items), from random
factors, after the CSR views are built (as ours is timed: each iteration once its trainer is built).
"""
import json
import sys
import time

import numpy as np

path, rank, lam = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
iterations = int(sys.argv[4]) if len(sys.argv) > 4 else 1
raw = open(path, "rb").read()
n, n_users, n_items = np.frombuffer(raw, dtype="<i4", count=3)
users = np.frombuffer(raw, dtype="<i4", count=n, offset=12)
items = np.frombuffer(raw, dtype="<i4", count=n, offset=12 + 4 * n)
values = np.frombuffer(raw, dtype="<f4", count=n, offset=12 + 8 * n).astype(np.float64)


def csr(rows, cols, vals, n_rows):
    order = np.argsort(rows, kind="stable")
    ptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.add.at(ptr, rows + 1, 1)
    return np.cumsum(ptr), cols[order], vals[order]


by_user = csr(users, items, values, n_users)
by_item = csr(items, users, values, n_items)
mean = values.mean()
rng = np.random.default_rng(42)
P = (rng.random((n_users, rank)) - 0.5) * 0.2
Q = (rng.random((n_items, rank)) - 0.5) * 0.2
bu = np.zeros(n_users)
bi = np.zeros(n_items)
eye = np.eye(rank + 1)


def sweep(rows, X, bx, Y, by):
    ptr, cols, vals = rows
    Yb = np.hstack([Y, np.ones((Y.shape[0], 1))])
    for r in range(len(ptr) - 1):
        s, e = ptr[r], ptr[r + 1]
        if s == e:
            continue
        idx = cols[s:e]
        G = Yb[idx]
        t = vals[s:e] - mean - by[idx]
        x = np.linalg.solve(G.T @ G + lam * (e - s) * eye, G.T @ t)
        X[r] = x[:rank]
        bx[r] = x[rank]


seconds = []
for _ in range(iterations):
    t0 = time.perf_counter()
    sweep(by_user, P, bu, Q, bi)
    sweep(by_item, Q, bi, P, bu)
    seconds.append(time.perf_counter() - t0)
print(json.dumps({"seconds": seconds, "numpy": np.__version__}))
