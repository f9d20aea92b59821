"""`train`: train on the bundled data (and --extra) and publish a model."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from tqdm import tqdm

from animerec.recsys.cli.common import DEFAULT_MODELS, CliError, check_input_file, model_config, say, spark_settings
from animerec.recsys.data import read_interactions_csv
from animerec.recsys.lifecycle import artifacts
from animerec.recsys.lifecycle.meta import CONFIG_NAMES, DEFAULT_CONFIG, SMALL_CONFIG
from animerec.recsys.lifecycle.overlay import load_catalog


def add_parser(sub) -> None:
    t = sub.add_parser("train", help="train on the bundled data (+ --extra) and publish a model")
    t.add_argument("--out", type=Path, default=DEFAULT_MODELS, help=f"models root (default {DEFAULT_MODELS})")
    t.add_argument("--extra", type=Path, help="CSV user_id,anime_id,rating (1-10 or -1) added to the dataset")
    t.add_argument("--config", default=DEFAULT_CONFIG,
                   help=f"{' or '.join(CONFIG_NAMES)} ({SMALL_CONFIG}: a seconds-long model for tests)")
    t.add_argument("--engine", choices=["default", "spark"], default="default",
                   help="ALS engine: default (numba, one process) or spark (MLlib; needs the spark extra and Java)")
    t.add_argument("--catalog-overlay", type=Path,
                   help="a catalog overlay directory (the bot's <data dir>/catalog): train over the bundled catalog plus it")
    t.add_argument("--master", help="Spark master URL with --engine spark (default local[2])")
    t.set_defaults(func=cmd_train)


def _check_models_root(path: Path) -> None:
    """CliError unless train can publish into path (created if missing)."""
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        raise CliError(f"--out {path}: {existing} is a file; --out names the models directory to publish into")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CliError(f"--out {path}: {existing} is not writable")
    if (path / artifacts.CURRENT).is_dir():
        raise CliError(f"--out {path}: {path / artifacts.CURRENT} is a directory, not the name of a model version")


# Recommender.fit's stages after ALS, in order (its stage_times keys), then what train does last.
STAGES = {"als": "ALS", "item_item": "the item-item models", "similar": "the /similar embeddings",
          "cold_start": "vectors for titles without ratings"}
LAST_STEP = "the /similar index, then publishing"


class StageLog(dict[str, float]):
    """Recommender.fit's stage_times, said as each stage ends: after the ALS bar is full the training
    has further stages to go (tens of seconds on a busy machine), and a log that sat at 100% read as hung."""

    def __init__(self, bar: tqdm) -> None:
        super().__init__()
        self.bar = bar

    def __setitem__(self, stage: str, seconds: float) -> None:
        super().__setitem__(stage, seconds)
        if stage not in STAGES:  # "prepare": the ALS bar follows at once
            return
        if stage == "als":
            self.bar.close()  # the bar's line ends before the stages are said
        keys = list(STAGES)
        at = keys.index(stage)
        following = STAGES[keys[at + 1]] if at + 1 < len(keys) else LAST_STEP
        say(f"{STAGES[stage]} took {seconds:.1f} s; next: {following}")


def cmd_train(args: argparse.Namespace) -> None:
    _check_models_root(args.out)
    spark = spark_settings(args.engine, args.master)
    extra = None
    catalog = load_catalog(args.catalog_overlay)
    if args.extra:
        check_input_file(args.extra)
        extra = read_interactions_csv(args.extra, known_ids=catalog.ids())
    config = model_config(args.config)
    from animerec.recsys.evaluation.report import EVALUATION_JSON
    from animerec.recsys.lifecycle.train import train_and_publish

    # The recorded figures are the default model's: a small or Spark-trained model must not show them as its own.
    evaluation = json.loads(EVALUATION_JSON.read_text()) \
        if args.config == DEFAULT_CONFIG and spark is None and EVALUATION_JSON.exists() else None
    if not args.quiet:
        say("loading the ratings and the catalog")
    with tqdm(total=config.iterations, desc="training ALS" + (" on Spark" if spark else ""), unit="it",
              disable=args.quiet) as bar:
        try:
            path = train_and_publish(args.out, extra, config, progress=lambda it: bar.update(it - bar.n),
                                     evaluation=evaluation, spark=spark, catalog=catalog,
                                     stage_times=None if args.quiet else StageLog(bar))
        except artifacts.PublishBusy as exc:
            raise CliError(str(exc)) from None
    print(f"published {path} (current -> {path.name})")
