"""/recommend first asks of another revision beside this checkout's, member by member in one process.

    python benchmarks/bench_revisions.py --base REV --models DIR [--rounds 3]

This machine is shared: two runs of bench_serve.py minutes apart differ by 10% or more, more than most
changes to the request path save. Here both revisions serve the same members in turn, which of the two
goes first alternating, each call's least of ``--rounds`` kept: the machine's drift falls on both alike.
The base revision is read from git (``git archive``) into a temporary directory as a package of another
name (animerec_base, its imports rewritten), so both load side by side. Both load the same published
model (``--models``: a models root, as bench_serve.py takes).
"""

from __future__ import annotations

import argparse
import importlib
import io
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_serve import member_lists

from animerec.recsys.model import single_threaded_blas

ROOT = Path(__file__).resolve().parents[1]
BASE = "animerec_base"


def base_package(rev: str, into: Path) -> None:
    """The animerec package of ``rev`` under ``into`` as BASE, every import of animerec made one of BASE."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "animerec"], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    (into / "animerec").rename(into / BASE)
    for path in (into / BASE).rglob("*.py"):
        text = path.read_text()
        path.write_text(re.sub(r"\banimerec(?=[.\s])", BASE, text))


def served_of(package: str, models: Path):
    """(a served model of ``package`` over the models root, its three request masks, its _KeptRows)."""
    served_mod = importlib.import_module(f"{package}.recsys.serving.served")
    artifacts = importlib.import_module(f"{package}.recsys.lifecycle.artifacts")
    catalog_mod = importlib.import_module(f"{package}.recsys.catalog.catalog")
    catalog = catalog_mod.Catalog.load()
    served = served_mod.ServedModel(artifacts.load_current(models), catalog)
    masks = [None, served.allowed(catalog.filters("Comedy")),
             served.allowed(catalog.filters(type="Movie"), allow_adult=False)]
    return served, masks, served_mod._KeptRows


def compare(base, this, args: argparse.Namespace) -> None:
    """Each member's first ask of both served models in turn (served_of's), the least of args.rounds kept."""
    both = [base, this]
    members = member_lists(500)  # bench_serve.py's members, with its masks in turn
    for served, _, _ in both:
        for m in members[:20]:
            served.recommend(m, 10)  # warm caches
    ms = np.full((2, len(members)), np.inf)
    for r in range(args.rounds):
        for j, m in enumerate(members):
            for k in ((0, 1) if (j + r) % 2 == 0 else (1, 0)):
                served, masks, kept_rows = both[k]
                served._kept_alone = kept_rows(served.n_items, served._kept_alone.limit)  # a first ask
                t = time.perf_counter()
                served.recommend(m, 10, allowed=masks[j % 3])
                ms[k, j] = min(ms[k, j], (time.perf_counter() - t) * 1000)
    sizes = np.array([len(m) for m in members])
    print(f"/recommend first ask, {len(members)} members, each call's least of {args.rounds}")
    print(f"{'':18s}{'p50 ms':>8s} {'p99 ms':>8s} {'mean ms':>8s}   p99 under 6 titles, 150 or more")
    for name, row in ((f"base {args.base}", ms[0]), ("this checkout", ms[1])):
        print(f"{name[:18]:18s}{np.percentile(row, 50):8.3f} {np.percentile(row, 99):8.3f} {row.mean():8.3f}"
              f"   {np.percentile(row[sizes < 6], 99):.3f}, {np.percentile(row[sizes >= 150], 99):.3f}")
    print(f"this checkout / base, per member: median {np.median(ms[1] / ms[0]):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True, help="the git revision to compare with (e.g. HEAD~1)")
    parser.add_argument("--models", type=Path, required=True, help="a published models root")
    parser.add_argument("--rounds", type=int, default=3, help="calls per member and revision, the least kept")
    args = parser.parse_args()
    single_threaded_blas()
    with tempfile.TemporaryDirectory() as tmp:  # the base package is read from it to the end
        base_package(args.base, Path(tmp))
        sys.path.insert(0, tmp)
        compare(served_of(BASE, args.models), served_of("animerec", args.models), args)


if __name__ == "__main__":
    main()
