"""Poll benchmark: N generated feeds on loopback, a cold pass (all new) and a warm pass.

.venv/bin/python benchmarks/poll.py --feeds 1000 --latency 0.05
"""

from __future__ import annotations

import argparse
import gc
import gzip
import os
import platform
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.feedgen import make_feed, serve_in_child, stats
from benchmarks.memory import PeakSampler
from watcher.app import poll_once
from watcher.config import load_config
from watcher.topic import build_model
from watcher.workers import Workers


def main_cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def run_pass(label: str, config, base: str, workers: Workers) -> dict[str, float]:
    requests, sent = stats(base)
    with PeakSampler(exclude={os.getppid()} | set(_server_pids)) as sampler:
        wall, cpu = time.perf_counter(), main_cpu()
        reports = poll_once(config, everything=True, workers=workers)
        wall, cpu = time.perf_counter() - wall, main_cpu() - cpu
    workers = sampler.descendant_cpu()
    peaks.append((sampler.peak_main, sampler.peak_total))
    result = {
        "wall_s": wall,
        "cpu_s": cpu,
        "feeds": len(reports),
        "failed": sum(1 for r in reports if r.outcome.value not in ("ok", "not_modified")),
        "new_articles": sum(r.new_articles for r in reports),
    }
    after = stats(base)
    result["requests"] = after[0] - requests
    result["bytes"] = after[1] - sent
    print(
        f"{label:5} wall {wall:6.2f}s  cpu main {cpu:5.2f}s + workers {workers:5.2f}s  feeds {result['feeds']}  "
        f"failed {result['failed']}  new {result['new_articles']}  requests {result['requests']}  "
        f"bytes {result['bytes'] / 1e6:.2f} MB ({result['bytes'] / max(1, result['feeds']):.0f} B/feed)"
    )
    return result


_server_pids: list[int] = []
peaks: list[tuple[float, float]] = []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per reply")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.perf_counter()
    feeds = [make_feed(i, rng.randint(20, 60), rng) for i in range(args.feeds)]
    raw = sum(len(f) for f in feeds)
    gz = sum(len(gzip.compress(f, 6)) for f in feeds)
    base, (process, pipe) = serve_in_child(feeds, args.latency)
    del feeds  # the server child has its copy; keep the poller's memory reading honest
    gc.collect()
    print(
        f"{args.feeds} feeds, {raw / 1e6:.1f} MB ({raw / args.feeds / 1e3:.0f} KB/feed, "
        f"{gz / args.feeds / 1e3:.0f} KB gzipped), latency {args.latency * 1000:.0f} ms; "
        f"generated in {time.perf_counter() - started:.1f}s"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.toml"
        repo = Path(__file__).resolve().parent.parent
        lines = [
            '[storage]\npath = "bench.db"\n[polling]\nconcurrency = 64\nper_host = 64\n',
            f'[topic]\npath = "{repo / "config" / "topic.toml"}"\nseeds = "{repo / "seeds"}"\n',
        ]
        lines += [f'[[feeds]]\nurl = "{base}/feed/{i}"\n' for i in range(args.feeds)]
        path.write_text("".join(lines))
        config = load_config(path)
        _server_pids.append(process.pid)
        with PeakSampler(exclude={process.pid}) as sampler:
            started = time.perf_counter()
            workers = Workers(build_model(config), config.polling.parse_workers)
        print(
            f"start-up (model + {workers.count} warmed workers): {time.perf_counter() - started:.2f}s"
        )
        peaks.append((sampler.peak_main, sampler.peak_total))
        run_pass("cold", config, base, workers)
        run_pass("warm", config, base, workers)
        workers.shutdown()
        print(
            f"peak RSS: main process {max(p[0] for p in peaks):.0f} MB, "
            f"main + workers {max(p[1] for p in peaks):.0f} MB (PSS: shared pages counted once)"
        )
    pipe.send("stop")
    process.join(5)


if __name__ == "__main__":
    main()
