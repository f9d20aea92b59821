"""A trained model on disk: a directory, published atomically, loaded whole or not at all.

    <root>/<version>/model.npz     factors, biases, id map, sparse item-item matrices, the cold-start
                                   vectors of catalog titles without interactions (no pickle)
    <root>/<version>/similar.ann   Annoy index over the /similar embeddings
    <root>/<version>/similar-evidence.ann
                                   the same over the titles placed by evidence (Recommender.evidence_ann),
                                   when some are not: built once here, not on every load
    <root>/<version>/meta.json     version, trained_at, data fingerprint, hyperparameters, figures,
                                   and the sha256 of each file above
    <root>/current                 name of the version being served (replaced atomically)
    <root>/.publish.lock           flock'd while a process publishes: one at a time per root
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from animerec.recsys.algorithms.ann import AnnIndex
from animerec.recsys.algorithms.coldstart import ColdVectors
from animerec.recsys.lifecycle.meta import COUNT_NAMES, BadMeta, ModelMeta
from animerec.recsys.model import ModelConfig, Recommender

FORMAT_VERSION = 2  # 2: the /similar embeddings are their own array (1 indexed the ALS factors)
MODEL_FILE, ANN_FILE, META_FILE, CURRENT = "model.npz", "similar.ann", "meta.json", "current"
EVIDENCE_ANN_FILE = "similar-evidence.ann"  # only with titles not placed by evidence (older models: built on load)
KEEP_VERSIONS = 3
LOCK_FILE = ".publish.lock"
PUBLISH_LOCK_TIMEOUT = 120.0  # seconds a publish waits for another process's (which takes seconds)
STALE_TMP_SECONDS = 3600.0  # a temp dir this old is a crashed publish's, whatever its pid says


class ModelLoadError(RuntimeError):
    """No usable model at a path; the message says what is wrong."""


class PublishBusy(RuntimeError):
    """Another process kept publishing into the same root for longer than the lock timeout."""


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _sparse_arrays(prefix: str, m: sp.csr_matrix) -> dict[str, np.ndarray]:
    return {f"{prefix}_data": m.data, f"{prefix}_indices": m.indices, f"{prefix}_indptr": m.indptr,
            f"{prefix}_shape": np.asarray(m.shape)}


def _sparse_from(prefix: str, z) -> sp.csr_matrix:
    return sp.csr_matrix((z[f"{prefix}_data"], z[f"{prefix}_indices"], z[f"{prefix}_indptr"]),
                         shape=tuple(z[f"{prefix}_shape"]))


def save(model: Recommender, directory: Path) -> None:
    """Write a model into an existing empty directory (not atomic by itself: see publish)."""
    directory = Path(directory)
    arrays: dict[str, Any] = dict(
        item_ids=model.item_ids, item_factors=model.item_factors, item_bias=model.item_bias,
        item_popularity=model.item_popularity, global_mean=np.float64(model.global_mean),
        **_sparse_arrays("ease", model.ease), **_sparse_arrays("cooc", model.cooccurrence),
        **_sparse_arrays("cosine", model.cosine), similar_vectors=model.similar_vectors,
        **(model.cold.arrays() if model.cold is not None else {}),
    )
    np.savez(directory / MODEL_FILE, **arrays)
    model.ensure_ann().save(directory / ANN_FILE)
    files = [MODEL_FILE, ANN_FILE]
    if not model.similar_evidenced().all():
        model.evidence_ann().save(directory / EVIDENCE_ANN_FILE)
        files.append(EVIDENCE_ANN_FILE)
    meta = dict(model.meta)
    meta.update(
        format=FORMAT_VERSION,
        hyperparameters=model.config.to_dict(),
        n_items=int(model.n_items),
        files={name: sha256(directory / name) for name in files},
    )
    # A trainer writing a field the bot reads wrongly (or a misspelt count) fails here, not in the bot.
    ModelMeta.from_json(meta)
    if "counts" in meta and set(meta["counts"]) != COUNT_NAMES:
        raise BadMeta(f"counts must be exactly {', '.join(sorted(COUNT_NAMES))}; got {', '.join(sorted(meta['counts']))}")
    (directory / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
    model.meta = meta


def load(directory: Path) -> Recommender:
    """Load a model directory, verifying every file; ModelLoadError on anything missing or corrupt.
    model.meta is meta.json as read; meta_of(model) its typed fields."""
    directory = Path(directory)
    try:
        meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(f"no model at {directory} ({META_FILE} missing)") from None
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"model at {directory} has an unreadable {META_FILE}: {exc}") from None
    _check_meta(directory, meta)
    for name, digest in meta["files"].items():
        path = directory / name
        if not path.is_file():
            raise ModelLoadError(f"model at {directory} is incomplete: {name} missing")
        if sha256(path) != digest:
            raise ModelLoadError(f"model at {directory} is corrupt: {name} does not match its checksum")
    try:
        config = ModelConfig.from_dict(meta["hyperparameters"])
        with np.load(directory / MODEL_FILE, allow_pickle=False) as z:
            model = Recommender(
                config, z["item_ids"], z["item_factors"], z["item_bias"], float(z["global_mean"]),
                z["item_popularity"], _sparse_from("ease", z), _sparse_from("cooc", z),
                _sparse_from("cosine", z), z["similar_vectors"], meta, ColdVectors.from_arrays(z),
            )
        ids, dim = model.similar_space()[0], model.similar_vectors.shape[1]
        model.attach_ann(AnnIndex.load(directory / ANN_FILE, dim, ids, config.ann_search_k))
        if EVIDENCE_ANN_FILE in meta["files"]:
            model.attach_evidence_ann(AnnIndex.load(directory / EVIDENCE_ANN_FILE, dim, ids, config.ann_search_k,
                                                    rows=model.evidence_rows()))
    except (KeyError, ValueError, TypeError, OSError) as exc:
        raise ModelLoadError(f"model at {directory} cannot be loaded: {exc}") from None
    return model


def _check_meta(directory: Path, meta) -> None:
    """ModelLoadError unless meta.json has every field the loader and the bot read, with its type.

    Without checksums for both files (and the evidence index's, when there is one) nothing vouches for
    them: such a model is corrupt, not trusted.
    """
    if not isinstance(meta, dict):
        raise ModelLoadError(f"model at {directory} is corrupt: {META_FILE} is not an object")
    if meta.get("format") != FORMAT_VERSION:
        raise ModelLoadError(f"model at {directory} has format {meta.get('format')!r}, expected {FORMAT_VERSION}")
    files = meta.get("files")
    if not (isinstance(files, dict) and set(files) - {EVIDENCE_ANN_FILE} == {MODEL_FILE, ANN_FILE}
            and all(isinstance(d, str) for d in files.values())):
        raise ModelLoadError(f"model at {directory} is corrupt: {META_FILE} lacks the checksums of its files")
    try:
        ModelMeta.from_json(meta)
    except BadMeta as exc:
        raise ModelLoadError(f"model at {directory} is corrupt: {META_FILE} {exc}") from None


def meta_of(model: Recommender) -> ModelMeta:
    """The typed meta.json fields of a loaded (or published) model."""
    return ModelMeta.from_json(model.meta)


def new_version() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def publish(model: Recommender, root: Path, lock_timeout: float | None = None) -> Path:
    """Save into a temporary directory, rename it into place, then switch `current` to it.

    A crash at any point leaves `current` naming a complete model (or no model at all). Publishers
    into one root take turns (PublishBusy after lock_timeout, default PUBLISH_LOCK_TIMEOUT seconds).
    """
    version = model.meta.get("version") or new_version()
    model.meta["version"] = version
    return publish_dir(Path(root), version, lambda tmp: save(model, tmp), lock_timeout)


def publish_dir(root: Path, version: str, write: Callable[[Path], None], lock_timeout: float | None = None) -> Path:
    """Publish what write() puts into an empty directory as root/version and point `current` at it
    (any versioned artifact: a model, the catalog overlay)."""
    root.mkdir(parents=True, exist_ok=True)
    with _publish_lock(root, PUBLISH_LOCK_TIMEOUT if lock_timeout is None else lock_timeout):
        # The pid marks whose it is: _prune leaves a live process's temp dir alone.
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{version}-{os.getpid()}-", dir=root))
        try:
            write(tmp)
            final = root / version
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        pointer = root / f".{CURRENT}.tmp"
        pointer.write_text(version + "\n", encoding="utf-8")
        os.replace(pointer, root / CURRENT)
        _prune(root, keep={version})
    return final


@contextmanager
def _publish_lock(root: Path, timeout: float) -> Iterator[None]:
    with open(root / LOCK_FILE, "a") as lock:  # never truncated or deleted: every process locks the same inode
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise PublishBusy(f"another process is publishing into {root}; gave up after {timeout:g} s") from None
                time.sleep(0.1)
        yield  # closing the file releases the lock, even if the process is killed


def current_dir(root: Path) -> Path:
    try:
        version = (Path(root) / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ModelLoadError(f"no model published under {root} yet") from None
    except (OSError, ValueError) as exc:  # a directory, not UTF-8, unreadable
        raise ModelLoadError(f"cannot read {Path(root) / CURRENT}: {exc}") from None
    if not version or "/" in version or version.startswith("."):
        raise ModelLoadError(f"{Path(root) / CURRENT} names no valid version")
    return Path(root) / version


def load_current(root: Path) -> Recommender:
    return load(current_dir(root))


def _prune(root: Path, keep: set[str]) -> None:
    """Drop leftovers of crashed publishes and all but the newest KEEP_VERSIONS models."""
    for tmp in root.glob(".tmp-*"):
        if _abandoned(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    versions = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in versions[:-KEEP_VERSIONS]:
        if old not in keep:
            shutil.rmtree(root / old, ignore_errors=True)


def _abandoned(tmp: Path) -> bool:
    """Whether a .tmp-<version>-<pid>-* directory is a crashed publish's: its process is gone, or it is old."""
    try:
        if time.time() - tmp.stat().st_mtime > STALE_TMP_SECONDS:
            return True
        pid = int(tmp.name.rsplit("-", 2)[-2])  # mkdtemp's random suffix has no "-"
    except FileNotFoundError:  # its publish finished meanwhile
        return False
    except (IndexError, ValueError):  # named before temp dirs carried a pid
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False
