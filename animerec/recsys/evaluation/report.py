"""The evaluation's results read out: the bars, the tables, and docs/evaluation.md.

``evaluate --write-docs`` writes the whole page (``write_evaluation``) and the served model's figures
to EVALUATION_JSON, which ``train`` records in a default model's meta; ``evaluate --engines ...
--write-docs`` writes only the training-engines section (``write_engines``), which a regeneration of
the page keeps.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from animerec.recsys.algorithms.spark_als import SparkSettings
from animerec.recsys.evaluation.metrics import Figures
from animerec.recsys.evaluation.protocols import (
    EASE_LAMBDAS,
    EDLAE_GRID,
    EDLAE_ONE_SLOT,
    FUNK_SVD,
    PLAIN,
    SERVED,
    SIMILAR_PER_INTERACTION,
    SIMILAR_QUERIES,
    SIMILAR_SERVED,
)

# Package data: the served model's figures of the latest full run.
EVALUATION_JSON = Path(__file__).with_name("evaluation.json")

# The bars of what members see: (protocol, figure, bound, "max" or "min"). A fan never gets an earlier
# entry of a work they are into, nor a second slot for one work.
FAN_BARS = (
    ("p80", "earlier10", 0.0, "max"), ("p80", "extra10", 0.0, "max"),
    ("p80", "fresh_ndcg10", 0.47, "min"), ("p80", "fresh_ndcg10_liked", 0.37, "min"),
    ("cold5", "earlier10", 0.0, "max"), ("cold5", "extra10", 0.0, "max"),
    ("cold5", "fresh_ndcg10", 0.65, "min"), ("cold5", "fresh_ndcg10_liked", 0.48, "min"),
)
# The served list at work level against the references: (figure, reference row, factor). The rules must
# not cost what the plain ranking finds, and must beat a strong baseline held to one slot per work.
WORK_BARS = tuple((figure, ref, factor) for figure in ("work_ndcg10", "work_ndcg10_liked")
                  for ref, factor in ((PLAIN, 1.0), (EDLAE_ONE_SLOT, 1.03)))
SIMILAR_BARS = (("cowatch_precision", 0.50, "min"), ("genre_overlap", 0.35, "min"), ("obscure_share", 0.05, "max"))
SEARCH_BAR = 0.9  # top-1 of title search, English titles and fan names alike
ENGINE_TOLERANCE = 0.03  # another training engine's bar: within 3% of the default one on NDCG@10 and RMSE

Checks = list[tuple[str, bool]]  # (description, passed)


# ---------------------------------------------------------------------------------------- bars
def bars(results: dict) -> Checks:
    """The acceptance bars of what members see, each (description, passed)."""
    protocols = results["protocols"]
    out = []
    for protocol, figure, bound, kind in FAN_BARS:
        if protocol in protocols:
            out.append(_bar(f"{protocol}: {figure}", protocols[protocol][SERVED][figure], bound, kind))
    for protocol, rows in protocols.items():
        for figure, ref, factor in WORK_BARS:
            name = next((r for r in rows if r.startswith(ref)), None)
            if name is not None:
                value, bound = rows[SERVED][figure], factor * rows[name][figure]
                out.append((f"{protocol}: served {figure} {value:.4f} >= {factor:g} x {name} {rows[name][figure]:.4f}",
                            value >= bound))
    for protocol, rows in protocols.items():
        served, funk = rows[SERVED], rows[FUNK_SVD]
        out.append((f"{protocol}: RMSE {served['rmse']:.4f} < Funk SVD {funk['rmse']:.4f}", served["rmse"] < funk["rmse"]))
    similar = results["similar"][SIMILAR_PER_INTERACTION][SIMILAR_SERVED]
    for figure, bound, kind in SIMILAR_BARS:
        out.append(_bar(f"/similar: {figure}", similar[figure], bound, kind))
    search = results["search"]
    for figure in ("english_top1", "abbrev_top1"):
        out.append(_bar(f"title search: {figure}", search[figure], SEARCH_BAR, "min"))
    return out


def _bar(name: str, value: float, bound: float, kind: str) -> tuple[str, bool]:
    ok = value <= bound if kind == "max" else value >= bound
    return f"{name} {value:.4f} {'<=' if kind == 'max' else '>='} {bound}", ok


def engine_checks(results: dict, reference: str = "default") -> Checks:
    """Each other engine within ENGINE_TOLERANCE of the reference on NDCG@10 and RMSE (relative)."""
    engines = results["engines"]
    ref = engines[reference]["protocols"]
    checks = []
    for name, row in engines.items():
        if name == reference:
            continue
        for protocol, f in row["protocols"].items():
            for figure, worse in (("ndcg10", -1.0), ("rmse", 1.0)):
                change = (f[figure] - ref[protocol][figure]) / ref[protocol][figure]
                checks.append((f"{protocol}: {name} {figure} {f[figure]:.4f} vs {reference} "
                               f"{ref[protocol][figure]:.4f} ({change:+.2%}; worse by at most "
                               f"{ENGINE_TOLERANCE:.0%})", worse * change <= ENGINE_TOLERANCE))
    return checks


def check_lines(checks: Checks) -> list[str]:
    """The checks as a terminal shows them."""
    return [f"[{'PASS' if ok else 'FAIL'}] {text}" for text, ok in checks]


# ---------------------------------------------------------------------------------------- tables
def format_table(results: dict) -> str:
    lines = []
    for protocol, rows in results["protocols"].items():
        lines += [f"### protocol `{protocol}` ({next(iter(rows.values()))['users']} held-out users)", "",
                  "Ranking figures:", "",
                  "| method | Recall@20 | NDCG@10 | Recall@20 liked | NDCG@10 liked | RMSE | MAE | coverage@10 |",
                  "|---|---|---|---|---|---|---|---|"]
        lines += [f"| {name} | {_cells(f, Figures.COLUMNS)} |" for name, f in rows.items()]
        lines += ["", "What a fan notices:", "",
                  "| method | earlier entries /10 | extra same-work /10 | fresh NDCG@10 | fresh NDCG@10 liked "
                  "| median popularity rank | outside top 100 | work NDCG@10 | work NDCG@10 liked |",
                  "|---|---|---|---|---|---|---|---|---|"]
        lines += [f"| {name} | {_cells(f, Figures.FAN_COLUMNS)} |" for name, f in rows.items()
                  if not np.isnan(f["fresh_ndcg10"])]
        lines.append("")
    lines += ["### `/similar`", "",
              "| queries | neighbours | co-watch precision@10 | genre overlap | share under 5,000 members |",
              "|---|---|---|---|---|"]
    for sampling, rows in results["similar"].items():
        lines += [f"| {sampling} ({f['queries']}) | {name} | {f['cowatch_precision']:.4f} | {f['genre_overlap']:.4f} "
                  f"| {f['obscure_share']:.4f} |" for name, f in rows.items()]
    fc, search = results["franchises"], results["search"]
    lines += ["", "### Franchise graph against co-watch data", "",
              f"{fc['edges']} prequel/parent edges whose later title has at least {fc['min_watchers']} watchers in "
              f"the sample: {fc['disagree']} disagree (under half of the later title's watchers watched the earlier "
              f"one); median share {fc['median_share']:.3f}.", "",
              "### Title search", "",
              f"Top-1 of `Catalog.search`: English titles of the 500 most popular titles {search['english_top1']:.3f} "
              f"({search['english_n']} queries); fan names and abbreviations {search['abbrev_top1']:.3f} "
              f"({search['abbrev_n']} queries).", ""]
    return "\n".join(lines)


def _cells(f: dict, columns: tuple[str, ...]) -> str:
    return " | ".join("–" if np.isnan(f[c]) else (f"{f[c]:.0f}" if c == "popularity_rank" else f"{f[c]:.4f}")
                      for c in columns)


def format_engines(results: dict) -> str:
    lines = ["| engine | protocol | ALS s | Recall@20 | NDCG@10 | NDCG@10 liked | fresh NDCG@10 | RMSE | MAE |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, row in results["engines"].items():
        for protocol, f in row["protocols"].items():
            lines.append(f"| {name} | {protocol} | {row['als_seconds']:.1f} | {f['recall20']:.4f} | {f['ndcg10']:.4f} "
                         f"| {f['ndcg10_liked']:.4f} | {f['fresh_ndcg10']:.4f} | {f['rmse']:.4f} | {f['mae']:.4f} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- docs/evaluation.md
ENGINES_BEGIN, ENGINES_END = "<!-- engines: begin -->", "<!-- engines: end -->"
COLDSTART_BEGIN, COLDSTART_END = "<!-- coldstart: begin -->", "<!-- coldstart: end -->"
# Sections a regeneration of the page keeps as they are: each is written by its own command (the ablation by
# benchmarks/ablate_rules.py, the franchise joins by benchmarks/franchise_joins.py, pasted between the markers).
ABLATION_BEGIN, ABLATION_END = "<!-- ablation: begin -->", "<!-- ablation: end -->"
JOINS_BEGIN, JOINS_END = "<!-- franchise joins: begin -->", "<!-- franchise joins: end -->"
# benchmarks/similar_new_titles.py's figures, and what benchmarks/search_audit.py found, pasted likewise.
SIMILAR_NEW_BEGIN, SIMILAR_NEW_END = "<!-- similar new titles: begin -->", "<!-- similar new titles: end -->"
SEARCH_AUDIT_BEGIN, SEARCH_AUDIT_END = "<!-- search audit: begin -->", "<!-- search audit: end -->"
KEPT = ((ABLATION_BEGIN, ABLATION_END), (JOINS_BEGIN, JOINS_END), (ENGINES_BEGIN, ENGINES_END),
        (COLDSTART_BEGIN, COLDSTART_END), (SIMILAR_NEW_BEGIN, SIMILAR_NEW_END), (SEARCH_AUDIT_BEGIN, SEARCH_AUDIT_END))


def write_evaluation(docs: Path, results: dict, command: str, seed: int) -> None:
    """The whole page from a full run, the sections of KEPT kept as they are, and the served model's
    figures to EVALUATION_JSON."""
    text = docs.read_text() if docs.exists() else ""
    kept = "".join(section(text, begin, end) for begin, end in KEPT)
    docs.write_text(evaluation_page(format_table(results), bars(results), command) + kept)
    EVALUATION_JSON.write_text(json.dumps(
        {"seed": seed, "command": command, **{p: rows[SERVED] for p, rows in results["protocols"].items()}}, indent=2))


def write_engines(docs: Path, results: dict, command: str, spark: SparkSettings | None) -> None:
    """The training-engines section alone: replaced where the page has one, else appended."""
    write_section(docs, engines_doc(format_engines(results), engine_checks(results), command, spark),
                  ENGINES_BEGIN, ENGINES_END)


def write_section(docs: Path, new: str, begin: str, end: str) -> None:
    """One marked section of the page (``new`` starts with ``begin`` and ends with ``end``): replaced
    where the page has one, else appended."""
    text = docs.read_text() if docs.exists() else "# Evaluation\n"
    old = section(text, begin, end)
    text = text.replace(old.strip("\n"), new) if old else text.rstrip("\n") + "\n\n" + new + "\n"
    docs.write_text(text)


def engines_section(text: str) -> str:
    """The training-engines section of a page, as a regeneration of the rest keeps it; "" when there is none."""
    return section(text, ENGINES_BEGIN, ENGINES_END)


def section(text: str, begin_marker: str, end_marker: str) -> str:
    """The section of a page between two markers (markers included); "" when there is none."""
    begin, end = text.find(begin_marker), text.find(end_marker)
    if begin < 0 or end < begin:
        return ""
    return "\n" + text[begin:end + len(end_marker)] + "\n"


def bar_lines(checks: Checks) -> str:
    return "\n".join(f"- {'PASS' if ok else 'FAIL'}: {text}" for text, ok in checks)


def engines_doc(table: str, checks: Checks, command: str, spark: SparkSettings | None) -> str:
    spark_note = "" if spark is None else (
        f" The Spark engine is MLlib's `ALS(implicitPrefs=True)` on `{spark.master}` with the default model's rank, "
        f"iterations and alpha, and `regParam={spark.reg_param:g}`: Spark regularizes each row by regParam times its "
        "number of interactions, ours by a constant, so regParam was chosen on evaluation seeds 1 and 2 "
        "(`python benchmarks/tune_spark.py`), not on this split.")
    return f"""{ENGINES_BEGIN}
## Training engines

Produced by `{command} --write-docs` (this section only; a regeneration of the page above keeps it).
Both models are trained on the same split and served the same way (`animerec.recsys.serving.served.ServedModel`): only the
ALS item factors differ.{spark_note} The bar: the Spark-trained served list within {ENGINE_TOLERANCE:.0%} of
the default engine's on NDCG@10, and its predictions within {ENGINE_TOLERANCE:.0%} on RMSE. "ALS s" is the
factorization alone (for Spark: starting the local JVM, the fit and collecting the factors), measured
in this run on this 2-core machine; `docs/benchmarks.md` has the timing benchmark.

{table}

{bar_lines(checks)}
{ENGINES_END}"""


def evaluation_page(table: str, checks: Checks, command: str) -> str:
    return f"""# Evaluation

Produced by `{command} --write-docs` (the whole table, every method, in one run).

Whole users are held out of training (15% of the 5,000, chosen by the seed); on them:
- `p80`: 80% of each user's interactions are given (folded in), the other 20% are the targets;
- `cold5`: only 5 of the user's ratings are given, everything else is a target.

**Methods.** `animerec (served list)` is what members see: `animerec.recsys.serving.served.ServedModel.recommend`, the
ranking after the fan rules (no earlier entries of the member's works, one slot per work, entry
points for new works, sequels only after a title before them, a started work moved up when the member
likes it and down when they scored it all under their floor, the quality floor). Its ranking blends
the ALS preference, EDLAE item-item weights (EASE^R with emphasized dropout, pruned per title) and the
member's predicted score (`animerec.recsys.model.Recommender.ranking`); the ALS preference weighs three times as
much for members with 40 titles or more (`ModelConfig.long_blend_factorization`). A list
may be shorter than 20 when the floor cuts it. `animerec (served, discover)` is the same with
`/recommend discover` (none of the 100 with most MAL members, nor of the franchises the member gave: a
member's next watches are often next seasons, and its p80 NDCG@10 fell from 0.304 to 0.208 when those went).
`animerec (plain ranking)` is the model's
raw ranking (`Recommender.recommend`) before those rules. Funk SVD is retrained with the held-out users' given
ratings included and is scored on RMSE only. EASE^R's lambda is chosen per protocol on these same
held-out users (a grid of {', '.join(f'{x:g}' for x in EASE_LAMBDAS)}), which favours the
baseline. EDLAE (Steck 2020, the emphasized denoising linear autoencoder in closed form) is tuned the same
way over dropout and lambda ({', '.join(f'{p:g}/{lam:g}' for p, lam in EDLAE_GRID)}), and shown twice: as it ranks, and with
only the best title of each work kept ("{EDLAE_ONE_SLOT}", its grid point chosen by work NDCG@10).
Every other baseline's list is scored as it is, with no fan rules.

**Ranking figures.** Recall@20 is hits over min(20, targets); NDCG@10 is binary. "liked" restricts the
targets to those rated 8 or more. RMSE/MAE are on the held-out explicit ratings. coverage@10 is the
share of the training titles that appear in at least one top-10 list.

**What a fan notices.** A *work* is a series with its seasons, films, side stories and recaps (joined by
MyAnimeList's Sequel, Prequel, Side story, Parent story, Summary and Full story, and for titles after 2018
by the catalog build's work links); spin-offs and other versions are other works of one franchise
(`animerec.recsys.catalog.franchise`). "Earlier entries" are the top-10 picks that come before a title
the member gave in its work (prequels and parent stories, transitively); "extra same-work" counts
top-10 slots beyond one per work (both per 10 picks). Fresh NDCG@10 removes those already-seen earlier
entries from the list and from the targets alike. Work NDCG@10 scores the same fresh lists per work: a
top-10 slot gains when its work holds a target and no earlier slot took that work, and the ideal is
min(10, target works), so a list is neither punished for folding a work's other entries into "+N more"
nor rewarded for showing one work twice. Popularity: the median popularity rank of a member's top 10
(0 = most MyAnimeList members, on one scale: `Catalog.members_now`), averaged over members, and the
share of top-10 picks outside the 100 most watched.

**/similar.** A query is a title from a held-out member's history: {SIMILAR_QUERIES:,} drawn uniformly over the
held-out interactions ("per interaction", the protocol the bars are read on: it reproduces the
reference figures /similar was first measured against, item-kNN cosine with same-series neighbours 0.49 and the old ALS
/similar 0.36), and, beside it, up to 5 per member. Its 10 neighbours come from other franchises;
co-watch precision@10 is the share of them in that member's history, genre overlap the
mean Jaccard of genres with the query, and the last column the share of neighbours with under 5,000
MyAnimeList members. The served neighbours are the Annoy index over `animerec.recsys.algorithms.embeddings` (a rank-96
factorization of the item-kNN cosine matrix with the genres appended), re-ranked with a support prior
n / (n + 200) and one title per franchise; item-kNN cosine and the ALS factors are exact, one title per
franchise, same-franchise titles excluded, the same way.

**Honesty notes.** The served model's hyperparameters were chosen on other splits (seeds 1 and 2),
and so were the fan rules' constants (the floor, the started-work shift, the match figure's fit), the ranking's
blend and EDLAE weights (`benchmarks/tune_ranking.py`, the section "The served ranking for long histories" below) and
the /similar embeddings (by animerec/recsys/algorithms/embeddings.py's tuning on seeds 1 and 2). Seed 0 was looked at
while the first defaults were tuned; the sealed holdout of real users is the clean test.

{table}
## Bars

{bar_lines(checks)}
"""
