"""`evaluate`: the served model against the baselines on held-out users, or (--engines) the training
engines against each other; --write-docs records the run in docs/evaluation.md."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from animerec.recsys.cli.common import CliError, model_config, say, spark_settings
from animerec.recsys.data import load_interactions
from animerec.recsys.evaluation.splits import PROTOCOLS
from animerec.recsys.lifecycle.meta import CONFIG_NAMES, DEFAULT_CONFIG

# A dev-time page of the checkout: found from the working directory, as `python -m animerec.recsys
# evaluate --write-docs` is run from the checkout's root (or given with --docs).
DOCS = Path("docs/evaluation.md")
ENGINES = ("default", "spark")


def add_parser(sub) -> None:
    e = sub.add_parser("evaluate", help="held-out-user evaluation against baselines")
    e.add_argument("--protocol", choices=PROTOCOLS, help="one protocol (default: all)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--config", default=DEFAULT_CONFIG, help=" or ".join(CONFIG_NAMES))
    e.add_argument("--write-docs", action="store_true", help="write the --docs page and the package's "
                   "evaluation.json, the figures train records (with --engines: only the page's engines section)")
    e.add_argument("--docs", type=Path, help=f"the page --write-docs writes (default {DOCS}, from the checkout's root)")
    e.add_argument("--engines", help="compare training engines instead, e.g. default,spark (the served list's "
                   "NDCG@10 and RMSE per engine)")
    e.add_argument("--master", help="Spark master URL with --engines ...,spark (default local[2])")
    e.add_argument("--coldstart", action="store_true", help="titles the model never saw: the time split "
                   "(new titles held out of training) instead (with --write-docs: only the page's new-titles section)")
    e.set_defaults(func=cmd_evaluate)


def cmd_evaluate(args: argparse.Namespace) -> None:
    docs = _docs(args)
    if args.engines:
        return _evaluate_engines(args, docs)
    if args.coldstart:
        return _evaluate_coldstart(args, docs)
    if args.master:
        raise CliError("--master is for --engines with spark")
    from animerec.recsys.evaluation import protocols, report

    results = protocols.evaluate(load_interactions(), _protocols(args), args.seed, model_config(args.config),
                                 progress=say)
    print(report.format_table(results))
    for line in report.check_lines(report.bars(results)):
        print(line)
    if docs is not None:
        command = f"python -m animerec.recsys evaluate --seed {args.seed}" + _protocol_option(args)
        report.write_evaluation(docs, results, command, args.seed)
        print(f"wrote {docs} and {report.EVALUATION_JSON}")


def _evaluate_engines(args: argparse.Namespace, docs: Path | None) -> None:
    """evaluate --engines default,spark: the served list of each engine's model on one split."""
    names = [n.strip() for n in args.engines.split(",") if n.strip()]
    if set(names) - set(ENGINES) or len(set(names)) != len(names) or "default" not in names:
        raise CliError("--engines takes default and, after it, spark (e.g. --engines default,spark)")
    if args.master and "spark" not in names:
        raise CliError("--master is for --engines with spark")
    settings = {name: spark_settings(name, args.master if name == "spark" else None) for name in names}
    from animerec.recsys.evaluation import engines, report

    results = engines.compare_engines(load_interactions(), settings, _protocols(args), args.seed,
                                      model_config(args.config), progress=say)
    print(report.format_engines(results))
    for line in report.check_lines(report.engine_checks(results)):
        print(line)
    if docs is not None:
        command = f"python -m animerec.recsys evaluate --engines {','.join(names)} --seed {args.seed}" + \
            _protocol_option(args) + (f" --master {args.master}" if args.master else "")
        report.write_engines(docs, results, command, settings.get("spark"))
        print(f"wrote the engines section of {docs}")


def _evaluate_coldstart(args: argparse.Namespace, docs: Path | None) -> None:
    """evaluate --coldstart: the cold-start path and its baselines on the time split."""
    from animerec.recsys.data import load_catalog_table
    from animerec.recsys.evaluation import coldstart, report

    results = coldstart.evaluate_coldstart(load_interactions(), load_catalog_table(), args.seed,
                                           model_config(args.config), progress=say)
    checks = coldstart.coldstart_checks(results)
    print(coldstart.format_coldstart(results))
    for line in report.check_lines(checks):
        print(line)
    if docs is not None:
        command = f"python -m animerec.recsys evaluate --coldstart --seed {args.seed}"
        # The tuning's record (benchmarks/tune_coldstart.py) sits in the checkout beside docs/.
        record = docs.parent.parent / "benchmarks" / "tune_coldstart.json"
        tuning = json.loads(record.read_text()) if record.exists() else None
        report.write_section(docs, coldstart.coldstart_doc(results, command, report.COLDSTART_BEGIN,
                                                           report.COLDSTART_END, report.bar_lines(checks), tuning),
                             report.COLDSTART_BEGIN, report.COLDSTART_END)
        print(f"wrote the new-titles section of {docs}")


def _docs(args: argparse.Namespace) -> Path | None:
    """The page --write-docs writes (None without it), checked before the long run."""
    if not args.write_docs:
        if args.docs is not None:
            raise CliError("--docs is for --write-docs")
        return None
    docs = args.docs or DOCS
    if not docs.parent.is_dir():
        raise CliError(f"--docs {docs}: directory {docs.parent} does not exist; run from the checkout's root "
                       "or give --docs")
    return docs


def _protocols(args: argparse.Namespace) -> list[str]:
    return [args.protocol] if args.protocol else list(PROTOCOLS)


def _protocol_option(args: argparse.Namespace) -> str:
    return f" --protocol {args.protocol}" if args.protocol else ""
