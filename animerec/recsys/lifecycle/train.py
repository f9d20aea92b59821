"""Train on the bundled data (plus community interactions) and publish a model directory."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.data import fingerprint, load_interactions
from animerec.recsys.lifecycle import artifacts
from animerec.recsys.model import ModelConfig, Recommender

if TYPE_CHECKING:
    from animerec.recsys.algorithms.spark_als import SparkSettings

Progress = Callable[[int], None]


def training_table(extra: pd.DataFrame | None) -> pd.DataFrame:
    """The bundled interactions plus an extra table; an extra (user, anime) pair replaces the bundled one."""
    base = load_interactions()
    if extra is None or extra.empty:
        return base
    extra = extra.assign(user_id="community:" + extra["user_id"].astype(str))
    both = pd.concat([base, extra[base.columns]], ignore_index=True)
    return both.drop_duplicates(["user_id", "anime_id"], keep="last").reset_index(drop=True)


def train_model(extra: pd.DataFrame | None = None, config: ModelConfig | None = None,
                progress: Progress | None = None, spark: SparkSettings | None = None,
                catalog: Catalog | None = None, stage_times: dict[str, float] | None = None) -> Recommender:
    """``spark``: train the item factors on Spark (animerec.recsys.algorithms.spark_als) instead of the default numba ALS.
    ``catalog``: the titles' genres (default: the bundled catalog). ``stage_times``: as Recommender.fit."""
    config = config or ModelConfig()
    table = training_table(extra)
    started = time.perf_counter()
    model = Recommender.fit(table, config, progress=progress, catalog=catalog or Catalog.load(), spark=spark,
                            stage_times=stage_times)
    model.ensure_ann()
    model.meta.update(
        version=artifacts.new_version(),
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        train_seconds=round(time.perf_counter() - started, 2),
        data_fingerprint=fingerprint(table),
        counts={
            "interactions": int(len(table)),
            "dataset_interactions": int(len(table) - (0 if extra is None else len(extra))),
            "community_interactions": int(0 if extra is None else len(extra)),
            "users": int(table["user_id"].nunique()),
            "items": int(model.n_items),
        },
    )
    return model


def train_and_publish(models_root: Path, extra: pd.DataFrame | None = None, config: ModelConfig | None = None,
                      progress: Progress | None = None, evaluation: dict | None = None,
                      spark: SparkSettings | None = None, catalog: Catalog | None = None,
                      stage_times: dict[str, float] | None = None) -> Path:
    model = train_model(extra, config, progress, spark, catalog, stage_times)
    if evaluation:
        model.meta["evaluation"] = evaluation
    return artifacts.publish(model, Path(models_root))
