"""Implicit ALS on Apache Spark (MLlib), an optional training engine: `train --engine spark`.

Spark trains the item factors only; everything after them (item biases, fold-in, the item-item
scorers, the /similar embeddings, Annoy, the artifacts) is the default pipeline, so a Spark-trained
model is served like any other. Needs the `spark` extra (`pip install -e '.[spark]'`) and Java 17+.

The two formulations share the confidence c_ui = 1 + alpha * w_ui (Spark's `rating` column carries
our weight w in (0, 1], see animerec.recsys.model.confidence_weight, and its `alpha` is ours) and the
preference p_ui = 1 on every observed pair. They differ in the regularization: ours is a constant
`reg * |x|^2`, Spark's is `regParam * n_u * |x|^2` with n_u the row's observed pairs ("ALS-WR"), so
`regParam` does not map 1:1 to our `regularization`; SparkSettings.reg_param was tuned on evaluation
seeds 1 and 2 (benchmarks/tune_spark.py). Spark solves each row exactly (Cholesky), ours takes two
conjugate-gradient steps per row.

The session is local (`local[2]` by default, or any master URL), with its scratch files in a
private temporary directory, its log quiet, and stopped with its JVM when training ends.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

DEFAULT_MASTER = "local[2]"
_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
# pyspark's gateway counts as a shell, whose default level (WARN) Spark would announce and set.
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = error
"""


class SparkUnavailable(RuntimeError):
    """pyspark or Java is missing: a one-line reason."""


@dataclass(frozen=True)
class SparkSettings:
    """How the Spark engine runs; rank, iterations and alpha come from ModelConfig."""

    master: str = DEFAULT_MASTER
    reg_param: float = 0.1  # Spark's regParam (scaled by each row's count); tuned on seeds 1 and 2
    blocks: int = 4  # numUserBlocks = numItemBlocks
    driver_memory: str = "4g"  # local mode: the driver is the executor


def unavailable_reason() -> str | None:
    """Why the Spark engine cannot run here, or None when it can."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -e '.[spark]')"
    java_home = os.environ.get("JAVA_HOME")
    if not (shutil.which("java") or (java_home and os.path.exists(os.path.join(java_home, "bin", "java")))):
        return "no Java runtime found (java on PATH or JAVA_HOME); Spark needs Java 17+"
    return None


def describe(settings: SparkSettings) -> dict:
    """What meta.json records about a Spark-trained model."""
    import pyspark

    return {"name": "spark", "pyspark": pyspark.__version__, "master": settings.master,
            "reg_param": settings.reg_param, "blocks": settings.blocks}


def fit_item_factors(
    confidence: sp.csr_matrix,
    factors: int,
    iterations: int,
    alpha: float,
    settings: SparkSettings | None = None,
    *,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
    timings: dict[str, float] | None = None,
) -> np.ndarray:
    """Item factors (float32, n_items x factors, in the matrix's column order) by Spark's implicit ALS.

    ``confidence`` is the users x items matrix of animerec.recsys.model (stored entries c = 1 + alpha * w);
    Spark receives (row, column, w) triples. Items without any stored entry get zero factors.
    ``timings`` receives seconds for "start" (JVM and session), "als" (fit, collect) and "stop".
    """
    reason = unavailable_reason()
    if reason:
        raise SparkUnavailable(reason)
    settings = settings or SparkSettings()
    times = timings if timings is not None else {}
    C = confidence.tocoo()
    # alpha = 0: every observed pair has confidence 1 in both formulations, whatever its weight.
    weights = (C.data.astype(np.float64) - 1.0) / alpha if alpha > 0 else np.ones(C.nnz)
    n_items = C.shape[1]
    with tempfile.TemporaryDirectory(prefix="animerec-spark-") as tmp, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "PySpark does not yet fully support", FutureWarning)
        clock = time.perf_counter()
        triples = os.path.join(tmp, "interactions.csv")
        np.savetxt(triples, np.column_stack([C.row, C.col, weights]), fmt=["%d", "%d", "%.7g"], delimiter=",")
        spark, log = _session(settings, tmp)
        try:
            times["start"] = time.perf_counter() - clock
            clock = time.perf_counter()
            from pyspark.ml.recommendation import ALS

            df = spark.read.csv(triples, schema="user INT, item INT, rating FLOAT")
            als = ALS(rank=factors, maxIter=iterations, regParam=settings.reg_param, alpha=alpha,
                      implicitPrefs=True, userCol="user", itemCol="item", ratingCol="rating",
                      numUserBlocks=settings.blocks, numItemBlocks=settings.blocks, seed=seed)
            model = als.fit(df)
            out = np.zeros((n_items, factors), np.float32)
            for row in model.itemFactors.toLocalIterator():
                out[row["id"]] = row["features"]
            times["als"] = time.perf_counter() - clock
        except Exception as exc:
            raise RuntimeError(f"Spark ALS failed: {exc}\n--- JVM log (last lines) ---\n{_tail(log)}") from exc
        finally:
            clock = time.perf_counter()
            _stop(spark)
            times["stop"] = time.perf_counter() - clock
    if progress is not None:
        progress(iterations)
    return out


def _session(settings: SparkSettings, tmp: str):
    """A fresh local session whose scratch space is under tmp and whose JVM output (the log at
    level ERROR, Java's own start-up notes) goes to a file there; returns (session, that file)."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway
    from pyspark.sql import SparkSession

    log4j = os.path.join(tmp, "log4j2.properties")
    with open(log4j, "w") as f:
        f.write(_LOG4J)
    # A deep stack: Spark (de)serializes ALS's iteration lineage recursively (a StackOverflowError
    # took a 15-iteration local[2] run down with Java's default 1 MB; see also the checkpoints below).
    java_opts = f"-Dlog4j2.configurationFile=file:{log4j} -Djava.io.tmpdir={tmp} -Xss16m"
    conf = (SparkConf().setMaster(settings.master).setAppName("animerec-als")
            .set("spark.local.dir", tmp)
            .set("spark.driver.memory", settings.driver_memory)
            .set("spark.driver.extraJavaOptions", java_opts)
            .set("spark.ui.enabled", "false")
            .set("spark.ui.showConsoleProgress", "false")
            .set("spark.sql.shuffle.partitions", str(settings.blocks))
            .set("spark.default.parallelism", str(settings.blocks)))
    if SparkContext._active_spark_context is not None:
        raise RuntimeError("a SparkContext is already running in this process; stop it first")
    log_path = os.path.join(tmp, "jvm.log")
    with open(log_path, "wb") as log:
        gateway = launch_gateway(conf, popen_kwargs={"stdout": log, "stderr": log})
    try:
        sc = SparkContext(conf=conf, gateway=gateway)
    except BaseException:
        _end_jvm(gateway)
        raise
    sc.setLogLevel("ERROR")
    sc.setCheckpointDir(os.path.join(tmp, "checkpoints"))  # ALS truncates its lineage every 10 iterations
    return SparkSession(sc), log_path


def _tail(path: str, lines: int = 20) -> str:
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(spark) -> None:
    """Stop the session and end its JVM, so that no JVM, temp file or gateway connection outlives
    the training."""
    from pyspark import SparkContext

    try:
        spark.stop()
    finally:
        gateway = SparkContext._gateway
        SparkContext._gateway = None
        SparkContext._jvm = None
        if gateway is not None:
            _end_jvm(gateway)


def _end_jvm(gateway) -> None:
    """Close the gateway; Spark's gateway JVM exits when its stdin closes."""
    proc = getattr(gateway, "proc", None)
    try:
        gateway.shutdown()
    finally:
        if proc is not None:
            if proc.stdin is not None:
                proc.stdin.close()
            try:
                proc.wait(timeout=30)
            except Exception:
                proc.kill()
                proc.wait()
