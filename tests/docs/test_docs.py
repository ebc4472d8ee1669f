"""The README and the docs site: the README stays short and speaks to users, `mkdocs build --strict`
passes, the benchmark page shows every result file, and every shell and Python block runs as pasted
(or says, in a comment under it, why it cannot)."""

import glob
import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
README = os.path.join(ROOT, "README.md")
DOCS = sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
PAGES = [README] + DOCS
MAX_README_LINES = 200

# A fenced block of code, and the marker that may follow it: `<!-- not runnable: why -->`.
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```\n(?:<!-- not runnable: (.*?) -->\n)?", re.DOTALL | re.MULTILINE)
RUNNABLE_LANGUAGES = {"bash": "bash", "sh": "bash", "shell": "bash", "python": "python"}
INTERNAL_WORDS = re.compile(r"\b(issues?|sessions?|this time)\b", re.IGNORECASE)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def code_blocks(path):
    """`(language, code, reason_not_runnable or None)` of each fenced block in a markdown file."""
    return [(m.group(1), m.group(2), m.group(3)) for m in BLOCK.finditer(read(path))]


def test_the_readme_stays_under_200_lines():
    lines = read(README).count("\n")
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; move the detail into docs/"


@pytest.mark.parametrize("path", PAGES, ids=lambda p: os.path.relpath(p, ROOT))
def test_pages_speak_to_users(path):
    found = sorted({m.group(0).lower() for m in INTERNAL_WORDS.finditer(read(path))})
    assert not found, f"{os.path.relpath(path, ROOT)} uses the project's internal words: {found}"


def test_the_readme_has_no_relative_image_links():
    """The README is also the package index's page, where links relative to the repository break."""
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", read(README))
    assert all(link.startswith(("http://", "https://")) for link in images), images


def test_every_code_block_is_runnable_or_says_why_not():
    unexplained = []
    for path in PAGES:
        for language, code, reason in code_blocks(path):
            if language not in RUNNABLE_LANGUAGES and language not in ("text", "json", "yaml", "toml", "console"):
                unexplained.append((os.path.relpath(path, ROOT), language, code[:60]))
            if reason is not None and len(reason.split()) < 3:
                unexplained.append((os.path.relpath(path, ROOT), "reason too short", reason))
    assert not unexplained, unexplained


def test_the_marker_is_seen():
    """The parser finds the not-runnable marker (else every block would run, or none would be excused)."""
    blocks = code_blocks(README)
    assert any(reason for _, _, reason in blocks) and any(reason is None for _, _, reason in blocks)


def test_every_benchmark_result_is_on_the_benchmark_page():
    sys.path.insert(0, ROOT)
    from benchmarks import report

    page = read(os.path.join(ROOT, "docs", "benchmarks.md"))
    shown = set(re.findall(r"^<!-- results: ([a-z_]+) -->$", page, re.MULTILINE))
    assert shown == set(report.TABLES), (shown ^ set(report.TABLES))
    covered = set()
    for _, patterns in report.TABLES.values():
        for pattern in patterns:
            covered.update(glob.glob(os.path.join(report.RESULTS, pattern)))
    results = set(glob.glob(os.path.join(report.RESULTS, "**", "*.json"), recursive=True))
    assert results - covered == set(), "result files no table renders"
    for name in report.TABLES:
        table = report.render(name)
        assert table.count("\n|") >= 2, name  # a header, a rule, at least one row


def test_the_readme_backends_table_is_the_benchmarks_json():
    """The README's table between its markers is `benchmarks.report.render("speed_backends")`, not typed by hand."""
    sys.path.insert(0, ROOT)
    from benchmarks import report

    shown = re.search(r"<!-- table: python -m benchmarks.report speed_backends -->\n(.*?)\n<!-- end of table -->",
                      read(README), re.DOTALL)
    assert shown is not None
    assert shown.group(1).strip() == report.render("speed_backends").strip()
    assert re.search(r"\| \d+\.\d\dx \(\w+\) +\|", shown.group(1))  # the ratios to PyTorch's best


def test_a_table_changes_with_its_json(tmp_path, monkeypatch):
    """The page shows the JSON's numbers, not text typed beside it."""
    sys.path.insert(0, ROOT)
    from benchmarks import report

    data = json.loads(read(os.path.join(report.RESULTS, "wheel_size.json")))
    data["wheel_mb"] = 123.456
    (tmp_path / "wheel_size.json").write_text(json.dumps(data))
    monkeypatch.setattr(report, "RESULTS", str(tmp_path))
    assert "123.46" in report.render("wheel_size")


@pytest.mark.slow
def test_mkdocs_build_strict(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                            cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env=dict(os.environ, NO_MKDOCS_2_WARNING="1"))
    assert result.returncode == 0, result.stderr[-3000:]
    benchmarks = (tmp_path / "site" / "benchmarks" / "index.html").read_text()
    assert benchmarks.count("<table>") >= 10 and "<!-- results:" not in benchmarks
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    assert "from_preset" in api and "save_to_preset" in api


def runnable_pages():
    return [p for p in PAGES if any(reason is None and lang in RUNNABLE_LANGUAGES for lang, _, reason in code_blocks(p))]


@pytest.mark.slow
@pytest.mark.parametrize("path", runnable_pages(), ids=lambda p: os.path.relpath(p, ROOT))
def test_snippets_run_as_pasted(path, tmp_path):
    """Each page's runnable blocks, in order, in one fresh folder (a block may use what an earlier one wrote),
    with this environment's `python` and `keras-animegan` first on the PATH, as an activated venv has them.

    Python blocks are forked from a process that has imported TensorFlow (`tests/forked.py`: the same
    interpreter state and `sys.path` as `python -c`); a block that picks its Keras backend gets a fresh one."""
    from tests import forked

    bin_dir = os.path.dirname(sys.executable)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""), MPLBACKEND="Agg")
    env.pop("PYTHONPATH", None)  # the installed package, as a user has it
    for language, code, reason in code_blocks(path):
        if reason is not None or language not in RUNNABLE_LANGUAGES:
            continue
        if RUNNABLE_LANGUAGES[language] == "bash":
            result = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=tmp_path, env=env,
                                    capture_output=True, text=True, timeout=900)
        else:
            result = forked.run([sys.executable, "-c", code], cwd=tmp_path, env=env, timeout=900,
                                fresh="KERAS_BACKEND" in code)
        assert result.returncode == 0, f"{os.path.relpath(path, ROOT)}:\n{code}\n---\n{result.stderr[-3000:]}"
    if path == README:  # the first steps leave what they promise
        for name in ("avatars.png", "anime.png", "my_avatars.png", "runs/my_dcgan/dcgan.keras",
                     "runs/my_dcgan/export/dcgan/1/saved_model.pb"):
            assert (tmp_path / name).exists(), name


def test_ci_runs_exactly_the_readmes_test_command():
    readme_commands = [code.strip() for language, code, _ in code_blocks(README)
                       if language == "bash" and "pytest" in code]
    with open(os.path.join(ROOT, ".ci", "run")) as f:
        ci = f.read().strip().splitlines()[-1].strip()
    assert readme_commands == [ci]
