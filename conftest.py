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


# --- Each pytest process's memory: bounded, and printed at the end of the run -----------------------------------
# TensorFlow keeps every traced training function's graph for the life of the process: the graph and its
# operations reference each other through objects Python's garbage collector cannot see into (TF issue #62854;
# `keras.backend.clear_session` and `gc.collect` free none of it). A suite that trains hundreds of tiny models
# grows each process by 0.1-0.5 GB a training run, to 10 GB and more, and the kernel's OOM killer takes one.
# So a pytest-xdist worker that has grown past `RECYCLE_RSS_GB` between two tests gives its place to a fresh
# one: it stops before its next test (when it runs no server or other process of a test), and the controller
# hands that test to the replacement (`pytest_handlecrashitem`), which then runs it; no test is skipped or run
# twice. The run prints each process's peak, and `KERAS_ANIMEGAN_RSS_LOG=FILE` writes each test's resident
# size after it ran (one line per test), to find what makes a process grow.

import atexit  # noqa: E402

import pytest  # noqa: E402
import hashlib  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import tempfile  # noqa: E402

#: The budget a pytest process stays under (the README's test command runs two of them).
PEAK_RSS_BUDGET_GB = 4.0
#: A worker past this between two tests is replaced: a test adds at most about 1 GB to it.
RECYCLE_RSS_GB = float(os.environ.get("KERAS_ANIMEGAN_RECYCLE_GB", "2.8"))
_RECYCLE_DIR = "KERAS_ANIMEGAN_RECYCLE_DIR"
_peaks = {}
_state = {"tests_run": 0}


def _rss_now_kb():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except OSError:  # not Linux
        return 0


def _peak_kb():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if os.uname().sysname == "Darwin" else peak  # bytes on macOS, KiB on Linux


def _marker(folder, nodeid):
    return os.path.join(folder, "recycled-" + hashlib.sha1(nodeid.encode()).hexdigest())


def _children_other_than_forkservers():
    """This process's child processes, less multiprocessing's helpers (the fork server of tests/forked.py and
    its resource tracker), which exit with it; a test's server still running means this is no moment to stop."""
    children = []
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children") as f:
                children += f.read().split()
    except OSError:
        return ["unknown"]
    others = []
    for pid in children:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command = f.read()
            if b"multiprocessing" not in command:
                others.append(command.replace(b"\0", b" ").decode(errors="replace")[:200])
        except OSError:
            pass
    return others


def pytest_configure(config):
    if getattr(config, "workerinput", None) is None and getattr(config.option, "numprocesses", None):
        # The controller of `pytest -n N`: the workers' replacements are not failures.
        os.environ.setdefault(_RECYCLE_DIR, tempfile.mkdtemp(prefix="keras_animegan_workers_"))
        if config.option.maxworkerrestart is None:
            config.option.maxworkerrestart = "200"


def pytest_runtest_protocol(item, nextitem):
    folder = os.environ.get(_RECYCLE_DIR)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if folder and worker and _state["tests_run"] and _rss_now_kb() > RECYCLE_RSS_GB * 2**20:
        blocking = _children_other_than_forkservers()
        if blocking:  # said once per test in the run folder's log (`KERAS_ANIMEGAN_RSS_LOG`), if one is kept
            _log(f"{worker}\tnot replaced before {item.nodeid}: running {blocking}")
            _state["tests_run"] += 1
            return None
        with open(_marker(folder, item.nodeid), "w") as f:
            f.write(worker)
        _write_peak(folder, worker)
        atexit._run_exitfuncs()  # tests/forked.py's fork server, temporary folders
        os._exit(0)
    _state["tests_run"] += 1
    return None


def _write_peak(folder, worker):
    with open(os.path.join(folder, f"peak-{worker}-{os.getpid()}"), "w") as f:
        f.write(str(_peak_kb()))


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook (the test extra installs it)
def pytest_handlecrashitem(crashitem, report, sched):
    """A worker that stopped to be replaced (see above) left its next test to the replacement."""
    folder = os.environ.get(_RECYCLE_DIR)
    if folder and os.path.exists(_marker(folder, crashitem)):
        os.remove(_marker(folder, crashitem))
        sched.mark_test_pending(crashitem)
        report.outcome = "recycled"


def pytest_report_teststatus(report, config):
    if report.outcome == "recycled":
        return "worker replaced", "", ""
    return None


def _log(line):
    path = os.environ.get("KERAS_ANIMEGAN_RSS_LOG")
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")


def pytest_runtest_logfinish(nodeid, location):
    _log(f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}\t{_rss_now_kb()}\t{_peak_kb()}\t{nodeid}")


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: its controller prints it
        workeroutput["peak_rss_kb"], workeroutput["pid"] = _peak_kb(), os.getpid()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    output = getattr(node, "workeroutput", {})
    if output.get("peak_rss_kb"):
        _peaks[f"{node.gateway.id} (pid {output['pid']})"] = output["peak_rss_kb"]


def pytest_terminal_summary(terminalreporter, config):
    peaks = dict(_peaks)
    folder = os.environ.get(_RECYCLE_DIR)
    replaced = 0
    if folder and os.path.isdir(folder):
        for name in sorted(os.listdir(folder)):
            if name.startswith("peak-"):
                _, worker, pid = name.split("-")
                with open(os.path.join(folder, name)) as f:
                    peaks[f"{worker} (pid {pid}, replaced)"] = int(f.read())
                replaced += 1
    peaks = peaks or {"main": _peak_kb()}
    worst = max(peaks.values()) / 2**20
    terminalreporter.write_sep("-", "peak resident memory per pytest process")
    for name, peak in sorted(peaks.items()):
        terminalreporter.write_line(f"{name}: {peak / 2**20:.2f} GB")
    terminalreporter.write_line(f"largest: {worst:.2f} GB (budget {PEAK_RSS_BUDGET_GB:.0f} GB); {replaced} worker(s) "
                                f"replaced on the way")
    if worst > PEAK_RSS_BUDGET_GB:
        terminalreporter.write_line(f"over the {PEAK_RSS_BUDGET_GB:.0f} GB budget of a pytest process")
