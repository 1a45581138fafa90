"""The transactions quality suite (layers/quality/suites.ts) written directly in vectorised pandas,
the `validation` benchmark's second peer (pandera_checks.py is the first). Prints one JSON object."""
import json, re, resource, sys, time

import pandas as pd

ID = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
ISO = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$"
EPOCH = r"^\d{9,11}(\.\d+)?$"


def main():
    path, catalog, customers = sys.argv[1:4]
    t0 = time.perf_counter()
    products = set(pd.read_csv(catalog, dtype=str, usecols=["product_id"])["product_id"])
    users = set(pd.read_csv(customers, dtype=str, usecols=["customer_id"])["customer_id"])
    t_refs = time.perf_counter()
    df = pd.read_csv(path, dtype=str, keep_default_na=False, on_bad_lines="skip", engine="c")
    results = {}
    expected = ["transaction_id", "customer_id", "product_id", "quantity", "unit_price", "rating", "timestamp"]
    results["columns"] = list(df.columns) == expected
    blank = {c: df[c].str.strip() == "" for c in expected}
    for c in ["transaction_id", "customer_id", "product_id", "quantity", "unit_price", "timestamp"]:
        results[f"complete_{c}"] = (~blank[c]).mean()
    results["complete_rating"] = (~blank["rating"]).mean()
    results["unique_transaction_id"] = int(df["transaction_id"][~blank["transaction_id"]].duplicated().sum())
    results["unique_rows"] = int(df.duplicated().sum())
    qty = pd.to_numeric(df["quantity"], errors="coerce")
    price = pd.to_numeric(df["unit_price"], errors="coerce")
    rating = pd.to_numeric(df["rating"].where(~blank["rating"]), errors="coerce")
    results["rating_1_5"] = (blank["rating"] | (rating.between(1, 5) & (rating % 1 == 0))).mean()
    results["quantity_positive"] = (blank["quantity"] | ((qty >= 1) & (qty % 1 == 0))).mean()
    results["price_non_negative"] = (blank["unit_price"] | (price >= 0)).mean()
    results["customer_id_format"] = (blank["customer_id"] | df["customer_id"].str.match(ID)).mean()
    results["product_id_format"] = (blank["product_id"] | df["product_id"].str.match(ID)).mean()
    ts = df["timestamp"].str.strip()
    is_epoch = ts.str.match(EPOCH)
    is_iso = ts.str.match(ISO)
    epoch = pd.to_datetime(pd.to_numeric(ts.where(is_epoch), errors="coerce"), unit="s", utc=True)
    iso = pd.to_datetime(ts.where(is_iso), errors="coerce", utc=True)
    when = epoch.fillna(iso)
    results["timestamp_format"] = (blank["timestamp"] | when.notna()).mean()
    results["customer_exists"] = (blank["customer_id"] | df["customer_id"].isin(users)).mean()
    results["product_exists"] = (blank["product_id"] | df["product_id"].isin(products)).mean()
    results["fresh_hours"] = (pd.Timestamp.now(tz="UTC") - when.max()).total_seconds() / 3600
    results["types"] = (qty.notna() & price.notna() & (blank["rating"] | rating.notna()) & when.notna()).mean()
    results["row_count"] = len(df)
    t1 = time.perf_counter()
    print(json.dumps({
        "rows": len(df),
        "seconds": t1 - t_refs,
        "secondsWithReferences": t1 - t0,
        "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "pandas": pd.__version__,
        "results": {k: (float(v) if not isinstance(v, bool) else v) for k, v in results.items()},
    }))


main()
