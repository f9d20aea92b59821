"""The bot end to end under load: the real `python -m animerec.bot` process against fakecord (a fake
Discord gateway and REST API on 127.0.0.1), 200 members each giving 5 /rate and one /recommend and
waiting for each answer. Runs fakecord's own `scenario_load.py` once per row and prints its figures
with the machine's load average before and after each row (the machine may be shared: compare rows of
one run, and re-run on a quiet machine for the figures that count).

    python benchmarks/bench_bot_endtoend.py [--fakecord DIR] [--rows quiet,fast,burst,retrain] [--workdir DIR]

Rows (as in docs/benchmarks.md):
  quiet    members start over 10 s and read about 1 s before each /rate   (--ramp 10 --think 1)
  fast     over 5 s, about 0.5 s of reading                               (--ramp 5 --think 0.5)
  burst    all 200 at once                                                 (no ramp, no think)
  retrain  `quiet` again while a real retrain runs beside the bot: the bot's own training command, at the
           bot's training priority and thread limits (animerec.bot.models.training), started as the load starts

fakecord is a measuring instrument kept outside the project (default: shared/tools/fakecord beside this
checkout or its parent; else --fakecord). It trains a model once per clean git HEAD (cached under --workdir).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from animerec.bot.models.training import run_training, train_command

PROJECT = Path(__file__).resolve().parents[1]
ROWS = {
    "quiet": ["--ramp", "10", "--think", "1"],
    "fast": ["--ramp", "5", "--think", "0.5"],
    "burst": [],
    "retrain": ["--ramp", "10", "--think", "1"],
}
LOAD_LINE = re.compile(r"failures=(\d+) late_acks=(\d+) rate p50/p99/max (\S+) ms; recommend p50/p99/max (\S+) ms;"
                       r".* lost=(\d+)")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def run_row(name: str, args: argparse.Namespace) -> str:
    cmd = [sys.executable, str(Path(args.fakecord) / "scenario_load.py"), "--project", str(PROJECT),
           "--python", sys.executable, "--workdir", args.workdir, *ROWS[name]]
    before = load_average()
    proc = await asyncio.create_subprocess_exec(*cmd, cwd=args.fakecord, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.STDOUT)
    retrain: asyncio.Task[None] | None = None
    summary = ""
    assert proc.stdout is not None
    with tempfile.TemporaryDirectory(prefix="bench-retrain-") as models:
        while line := (await proc.stdout.readline()).decode(errors="replace"):
            print(f"  | {line}", end="", flush=True)
            if name == "retrain" and retrain is None and "titles to rate" in line:  # the load starts now
                retrain = asyncio.create_task(run_training(train_command(Path(models), None, "default")))
            summary = line.strip() if line.startswith("LOAD:") else summary
        code = await proc.wait()
        retrained = ""
        if retrain is not None:
            retrain_running = not retrain.done()
            retrain.cancel()
            await asyncio.gather(retrain, return_exceptions=True)
            retrained = " (retrain still running at the end)" if retrain_running else " (retrain ended before the load did)"
    after = load_average()
    found = LOAD_LINE.search(summary)
    figures = (f"/rate {found[3]}, /recommend {found[4]} ms p50/p99/max; failed {found[1]}, acks after 3 s "
               f"{found[2]}, lost {found[5]}") if found else "no LOAD line"
    return f"{name:8s} exit {code}  {figures}{retrained}  load average before {before}, after {after}"


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    beside = [p / "shared" / "tools" / "fakecord" for p in (PROJECT.parent, PROJECT.parent.parent)]
    parser.add_argument("--fakecord", default=str(next((p for p in beside if p.is_dir()), beside[0])))
    parser.add_argument("--rows", default="quiet,fast,burst,retrain")
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "fakecord-bench"))
    args = parser.parse_args()
    if not (Path(args.fakecord) / "scenario_load.py").exists():
        parser.error(f"no fakecord at {args.fakecord}: pass --fakecord DIR")
    rows = args.rows.split(",")
    if unknown := set(rows) - ROWS.keys():
        parser.error(f"unknown rows {sorted(unknown)}; rows: {', '.join(ROWS)}")
    results = []
    for name in rows:
        started = time.monotonic()
        print(f"== {name}: scenario_load.py {' '.join(ROWS[name])}", flush=True)
        results.append(await run_row(name, args))
        print(f"   ({time.monotonic() - started:.0f} s)", flush=True)
    print("\n".join(["", *results]))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
