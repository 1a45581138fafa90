"""Peer for the transactions-ingest benchmark: DuckDB partitions the same CSV by day on one thread.

Usage: python3 duckdb_partition.py <transactions.csv> <out-dir>
Prints one JSON object: rows read, seconds, DuckDB's version. Timestamps are ISO 8601 or epoch
seconds, as in our exports; rows whose time cannot be placed land in the dt=NULL partition (our
ingest quarantines them), so both sides read, parse and write every row.
"""
import json
import sys
import time

import duckdb

csv_path, out_dir = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET threads = 1")
t0 = time.perf_counter()
con.execute(
    f"""
    COPY (
      SELECT *, strftime(
        CASE WHEN regexp_full_match("timestamp", '[0-9]+')
             THEN to_timestamp(TRY_CAST("timestamp" AS BIGINT))
             ELSE TRY_CAST("timestamp" AS TIMESTAMPTZ) END, '%Y-%m-%d') AS dt
      FROM read_csv('{csv_path}', header = true, all_varchar = true, null_padding = true,
                    ignore_errors = true, parallel = false)
    ) TO '{out_dir}' (FORMAT CSV, HEADER, PARTITION_BY (dt), OVERWRITE_OR_IGNORE)
    """
)
seconds = time.perf_counter() - t0
rows = con.execute(f"SELECT count(*) FROM read_csv('{out_dir}/*/*.csv', header = true, all_varchar = true)").fetchone()[0]
print(json.dumps({"rows": rows, "seconds": seconds, "duckdb": duckdb.__version__}))
