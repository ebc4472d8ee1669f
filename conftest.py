"""Repository-wide pytest hooks."""


def pytest_collection_modifyitems(config, items):
    # tf.test.TestCase (base of TFDS's DatasetBuilderTestCase) has a helper named
    # `test_session` that pytest collects and TF then skips as "Not a test".
    # It is not a test: deselect it instead of reporting a skip.
    kept = [item for item in items if item.name != "test_session"]
    deselected = [item for item in items if item.name == "test_session"]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


# --- Each pytest process's peak memory, printed at the end of the run -------------------------------------------
# A worker that grows without bound fails on a laptop or beside another CI job (the kernel's OOM killer takes
# it), so the run says how high each process went. `KERAS_ANIMEGAN_RSS_LOG=FILE` also writes each test's
# resident size after it ran (one line per test and process), to find the test that makes a worker grow.

import os  # noqa: E402
import resource  # noqa: E402

#: The budget a pytest process stays under (the README's test command runs two of them).
PEAK_RSS_BUDGET_GB = 4.0
_peaks = {}


def _rss_now_kb():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except OSError:  # not Linux
        return 0


def _peak_kb():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if os.uname().sysname == "Darwin" else peak  # bytes on macOS, KiB on Linux


def pytest_runtest_logfinish(nodeid, location):
    path = os.environ.get("KERAS_ANIMEGAN_RSS_LOG")
    if path:
        with open(path, "a") as f:
            f.write(f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}\t{_rss_now_kb()}\t{_peak_kb()}\t{nodeid}\n")


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: its controller prints it
        workeroutput["peak_rss_kb"] = _peak_kb()


def pytest_testnodedown(node, error):
    peak = getattr(node, "workeroutput", {}).get("peak_rss_kb")
    if peak:
        _peaks[node.gateway.id] = peak


def pytest_terminal_summary(terminalreporter, config):
    peaks = dict(_peaks) if _peaks else {"main": _peak_kb()}
    worst = max(peaks.values()) / 2**20
    terminalreporter.write_sep("-", "peak resident memory per pytest process")
    for name, peak in sorted(peaks.items()):
        terminalreporter.write_line(f"{name}: {peak / 2**20:.2f} GB")
    if worst > PEAK_RSS_BUDGET_GB:
        terminalreporter.write_line(f"over the {PEAK_RSS_BUDGET_GB:.0f} GB budget of a pytest process")
