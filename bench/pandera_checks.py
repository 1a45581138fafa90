"""The transactions quality suite (layers/quality/suites.ts) as a pandera DataFrameSchema, for the
`validation` benchmark's peer: the same columns, types, completeness, uniqueness, ranges, id
patterns, timestamp shape, references and freshness, evaluated lazily (every failure collected, as
our suite does). Prints one JSON object."""
import json, resource, sys, time, warnings

import pandas as pd
import pandera.pandas as pa

warnings.filterwarnings("ignore")

ID = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
ISO = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$"
EPOCH = r"^\d{9,11}(\.\d+)?$"
WHOLE = r"^-?\d+$"
DECIMAL = r"^\d+(\.\d+)?$"


def blank(s):
    return s.str.strip() == ""


def main():
    path, catalog, customers = sys.argv[1:4]
    products = set(pd.read_csv(catalog, dtype=str, usecols=["product_id"])["product_id"])
    users = set(pd.read_csv(customers, dtype=str, usecols=["customer_id"])["customer_id"])
    t0 = time.perf_counter()
    df = pd.read_csv(path, dtype=str, keep_default_na=False, on_bad_lines="skip", engine="c")

    def whole_in(lo, hi):
        def check(s):
            n = pd.to_numeric(s.where(s.str.match(WHOLE)), errors="coerce")
            return blank(s) | (n.notna() & (n >= lo) & (n <= hi))
        return check

    def when(s):
        t = s.str.strip()
        epoch = pd.to_datetime(pd.to_numeric(t.where(t.str.match(EPOCH)), errors="coerce"), unit="s", utc=True)
        iso = pd.to_datetime(t.where(t.str.match(ISO)), errors="coerce", utc=True, format="ISO8601")
        return epoch.fillna(iso)

    now = pd.Timestamp.now(tz="UTC")
    present = pa.Check(lambda s: ~blank(s), name="complete")
    schema = pa.DataFrameSchema(
        {
            "transaction_id": pa.Column(str, [present, pa.Check.str_matches(ID)], unique=True),
            "customer_id": pa.Column(str, [present, pa.Check.str_matches(ID), pa.Check.isin(users, name="customer_exists")]),
            "product_id": pa.Column(str, [present, pa.Check.str_matches(ID), pa.Check.isin(products, name="product_exists")]),
            "quantity": pa.Column(str, [present, pa.Check(whole_in(1, 1_000_000), name="quantity_positive")]),
            "unit_price": pa.Column(str, [present, pa.Check(lambda s: blank(s) | s.str.strip().str.match(DECIMAL), name="price_non_negative")]),
            "rating": pa.Column(str, [pa.Check(whole_in(1, 5), name="rating_1_5")]),
            "timestamp": pa.Column(
                str,
                [
                    present,
                    pa.Check(lambda s: blank(s) | when(s).notna(), name="timestamp_format"),
                    pa.Check(lambda s: (now - when(s).max()).total_seconds() / 3600 <= 72, name="fresh"),
                ],
            ),
        },
        checks=[pa.Check(lambda d: ~d.duplicated(), name="unique_rows")],
        strict=True,
        ordered=True,
    )
    failures = 0
    try:
        schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        failures = len(err.failure_cases)
    t1 = time.perf_counter()
    print(json.dumps({
        "rows": len(df),
        "seconds": t1 - t0,
        "failureCases": failures,
        "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "pandas": pd.__version__,
        "pandera": pa.__version__ if hasattr(pa, "__version__") else __import__("pandera").__version__,
    }))


main()
