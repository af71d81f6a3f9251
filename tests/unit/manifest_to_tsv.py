"""Flatten fixtures/typed-diskcache/locks/manifest.json for the C unit tests.

One line per entry: key_hex, is_lock, owner ("-" for none), count, expires,
tags (comma-joined, "-" for none).  Entries without a str key get key_hex "-".
"""
import json
import sys

with open(sys.argv[1], encoding="utf-8") as f:
    manifest = json.load(f)
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for entry in manifest["entries"]:
        key = entry.get("key")
        key_hex = key.encode("utf-8").hex() if key is not None else "-"
        owner = entry.get("owner") or "-"
        tags = ",".join(sorted(entry.get("tags") or [])) or "-"
        out.write("\t".join([
            key_hex,
            "1" if entry["is_lock"] else "0",
            owner,
            str(entry.get("count", 0)),
            "1" if entry.get("expires") else "0",
            tags,
        ]) + "\n")
