"""What the trainer tells the bot, typed: a published model's meta.json fields and the names of the
training configurations. Standard library only, so the bot's settings can import it cheaply."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

DEFAULT_CONFIG, SMALL_CONFIG = "default", "small"  # `recsys train --config`, ANIMEREC_TRAIN_CONFIG
CONFIG_NAMES = (DEFAULT_CONFIG, SMALL_CONFIG)
# The header of an interactions CSV: `recsys train --extra`, the bot's export of its members' ratings.
INTERACTION_COLUMNS = ["user_id", "anime_id", "rating"]


class BadMeta(ValueError):
    """A meta.json field missing or of the wrong type; the message names it."""


@dataclass(frozen=True)
class Counts:
    """What a model learned from."""

    interactions: int = 0
    dataset_interactions: int = 0  # the bundled MyAnimeList sample's
    community_interactions: int = 0  # the bot's members' (a retrain's export)
    users: int = 0
    items: int = 0


COUNT_NAMES = frozenset(f.name for f in fields(Counts))


@dataclass(frozen=True)
class ModelMeta:
    """meta.json's fields that the loader and the bot read. The file holds more (format, checksums,
    data fingerprint, training time), which only artifacts.py and people read."""

    version: str
    hyperparameters: dict[str, Any]
    trained_at: str | None = None  # ISO 8601, UTC
    counts: Counts = field(default_factory=Counts)
    # Protocol ("p80", "cold5") -> figure name (animerec.recsys.evaluation.metrics.Metrics fields) -> value; also
    # "seed" and "command" of the run (recsys/evaluation.json). Empty: not evaluated.
    evaluation: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, meta: Mapping[str, Any]) -> ModelMeta:
        """The typed fields of a meta.json object; BadMeta names the first field that is wrong."""
        for name, kind, required in (("version", str, True), ("hyperparameters", dict, True),
                                     ("trained_at", str, False), ("counts", dict, False), ("evaluation", dict, False)):
            if (required or meta.get(name) is not None) and not isinstance(meta.get(name), kind):
                raise BadMeta(f"field {name!r} is not a {kind.__name__}")
        counts = meta.get("counts") or {}
        if not all(isinstance(counts[k], int) for k in COUNT_NAMES & counts.keys()):
            raise BadMeta("field 'counts' holds a count that is not a whole number")
        return cls(meta["version"], meta["hyperparameters"], meta.get("trained_at"),
                   Counts(**{k: v for k, v in counts.items() if k in COUNT_NAMES}), meta.get("evaluation") or {})
