"""evaluate: the options, and --write-docs writing the page it is given (docs/evaluation.md of the checkout
by default) without running the evaluation here (the runs are faked)."""

import json

import pytest

from animerec.recsys.cli import evaluate as cli_evaluate
from animerec.recsys.cli.main import main
from animerec.recsys.evaluation import engines, protocols, report

FIGURES = dict(recall20=0.3, ndcg10=0.5, ndcg10_liked=0.4, fresh_ndcg10=0.5, rmse=1.0, mae=0.8)


@pytest.fixture
def faked(tmp_path, monkeypatch):
    """The runs replaced by fixed results, the package's evaluation.json by a file under tmp_path."""
    monkeypatch.setattr(report, "EVALUATION_JSON", tmp_path / "evaluation.json")
    monkeypatch.setattr(protocols, "evaluate", lambda *a, **k: {"protocols": {"p80": {protocols.SERVED: FIGURES}}})
    monkeypatch.setattr(report, "format_table", lambda results: "the table")
    monkeypatch.setattr(report, "bars", lambda results: [("a bar", True)])
    monkeypatch.setattr(engines, "compare_engines", lambda *a, **k: {"seed": 0, "engines": {
        "default": {"als_seconds": 2.0, "settings": None, "protocols": {"p80": FIGURES}}}})
    return tmp_path


def test_write_docs_writes_the_page_given_and_the_recorded_figures(faked, capsys):
    doc = faked / "evaluation.md"
    assert main(["-q", "evaluate", "--protocol", "p80", "--seed", "3", "--write-docs", "--docs", str(doc)]) == 0
    assert capsys.readouterr().out.startswith("the table\n[PASS] a bar\n")
    page = doc.read_text()
    assert page.startswith("# Evaluation\n\nProduced by `python -m animerec.recsys evaluate --seed 3 --protocol p80 "
                           "--write-docs`")
    assert "the table" in page and page.endswith("## Bars\n\n- PASS: a bar\n")
    assert json.loads((faked / "evaluation.json").read_text()) == {
        "seed": 3, "command": "python -m animerec.recsys evaluate --seed 3 --protocol p80", "p80": FIGURES}


def test_write_docs_defaults_to_docs_evaluation_md_of_the_working_directory(faked, monkeypatch):
    monkeypatch.chdir(faked)
    (faked / "docs").mkdir()
    assert main(["-q", "evaluate", "--engines", "default", "--write-docs"]) == 0
    assert not cli_evaluate.DOCS.is_absolute()  # the checkout it is run from, not where the package lies
    assert report.ENGINES_BEGIN in (faked / cli_evaluate.DOCS).read_text()


@pytest.mark.parametrize("args, message", [
    (["--write-docs", "--docs", "{tmp}/missing/evaluation.md"], "directory {tmp}/missing does not exist"),
    (["--write-docs"], "directory docs does not exist; run from the checkout's root or give --docs"),
    (["--docs", "{tmp}/evaluation.md"], "--docs is for --write-docs"),
    (["--master", "local[2]"], "--master is for --engines with spark"),
    (["--engines", "default", "--master", "local[2]"], "--master is for --engines with spark"),
])
def test_option_errors_are_one_line_before_any_run(faked, monkeypatch, capsys, args, message):
    monkeypatch.chdir(faked)  # no docs/ here
    monkeypatch.setattr(protocols, "evaluate", None)  # never reached
    assert main(["-q", "evaluate", *[a.format(tmp=faked) for a in args]]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and message.format(tmp=faked) in err


def test_engines_must_start_with_the_default_engine(capsys):
    assert main(["-q", "evaluate", "--engines", "spark"]) == 2
    assert "--engines takes default" in capsys.readouterr().err
