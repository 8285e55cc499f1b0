"""Long fuzz run: random mutations of real feeds (../shared/corpus/feeds) and of our own test
feeds through parse_feed. Counts what raised (must be 0), what failed as a whole document (a
clear error), entries kept and skipped, and checks every kept entry is storable and within
the field limits.

    .venv/bin/python benchmarks/fuzz.py --runs 20000
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import traceback
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import feeds as fx  # noqa: E402
from tests import hostile  # noqa: E402
from tests.test_fuzz import check_storable  # noqa: E402
from watcher.parse import parse_feed  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "feeds"


def documents() -> list[tuple[str, str, bytes]]:
    written = fx.items(5)
    found = [
        ("ours: rss20", "application/rss+xml", fx.rss20(written)),
        ("ours: rss10", "application/rdf+xml", fx.rss10(written)),
        ("ours: atom", "application/atom+xml", fx.atom(written)),
        ("ours: json", "application/feed+json", fx.jsonfeed(written)),
    ]
    found += [(f"hostile: {k}", "application/rss+xml", v) for k, v in hostile.XML_ENTRIES.items()]
    if CORPUS.is_dir():
        for path in sorted(p for p in CORPUS.glob("*") if p.suffix != ".md"):
            kind = "application/feed+json" if path.suffix == ".json" else "application/xml"
            found.append((path.name, kind, path.read_bytes()))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    seeds = documents()
    now = datetime(2025, 1, 20, tzinfo=UTC)
    tally: Counter[str] = Counter()
    raised: Counter[str] = Counter()
    started = time.perf_counter()
    for _ in range(args.runs):
        name, kind, body = rng.choice(seeds)
        mutated = hostile.mutate(body, rng)
        try:
            parsed = parse_feed(mutated, {"content-type": kind}, "https://e.org/f", "k", now)
            check_storable(parsed)
        except Exception as exc:
            raised[f"{type(exc).__name__} on {name}"] += 1
            if sum(raised.values()) <= 3:
                traceback.print_exc()
            continue
        tally["documents failed (clear error)" if parsed.error else "documents read"] += 1
        tally["entries kept"] += len(parsed.entries)
        tally["entries skipped"] += len(parsed.skipped)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.runs} mutated documents from {len(seeds)} seeds in {elapsed:.0f}s")
    for key, value in sorted(tally.items()):
        print(f"  {key}: {value}")
    print(f"  raised: {sum(raised.values())} {dict(raised) if raised else ''}")
    print(f"  peak RSS {peak:.0f} MB")
    raise SystemExit(1 if raised else 0)


if __name__ == "__main__":
    main()
