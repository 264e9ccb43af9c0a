"""The ``skrg`` command: a tiny study end to end, in-process and as a subprocess, its cache,
interruption by SIGINT, the other subcommands, and one-line errors on bad input."""

import json
import os
import re
import signal
import socket
import subprocess
import sys

import joblib
import numpy as np
import pytest

import skrg
from skrg import CouplingFlowAnalyzer, make_ising, metrics
from skrg.cli import main
from skrg.io import load_dataset

TINY = """\
# A tiny study: 16 x 16, two temperatures, one level (16 -> 8).
[study]
size = 16
temperatures = [2.2, 2.6]
samples = 150            # the command line below asks for 100: it wins
levels = 1
n_jobs = 2

[autoencoder]
max_iter = 3
"""
N_COARSE_GRAINERS = 3


def _run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def _files(*directories):
    return sorted(str(p) for d in directories for p in d.rglob("*") if p.is_file())


def _check_parses(path):
    """Every file the study writes must be complete: parse it by its kind."""
    suffix = os.path.splitext(path)[1]
    if suffix == ".json":
        with open(path) as f:
            json.load(f)
    elif suffix == ".npz":
        load_dataset(path)
    elif suffix == ".joblib":
        joblib.load(path)
    elif suffix == ".png":
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
        pytest.importorskip("matplotlib.image").imread(path)
    elif suffix in (".md", ".html"):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        assert text.endswith("\n") and ("</html>" in text if suffix == ".html" else True)
    else:
        raise AssertionError(f"unexpected file {path}")


def _summary_rows(markdown):
    """Data rows of the first table of report.md (the summary)."""
    table = markdown.split("## Summary")[1].split("\n\n")[1]
    lines = [line for line in table.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """One tiny study in-process, then the same command again (served from the cache)."""
    root = tmp_path_factory.mktemp("study")
    config = root / "study.toml"
    config.write_text(TINY)
    argv = ["study", "--config", str(config), "--samples", "100", "--output",
            str(root / "out"), "--cache-dir", str(root / "cache"), "--json"]
    first = main(argv)
    with open(root / "out" / "results.json") as f:
        results = json.load(f)
    return {"root": root, "argv": argv, "status": first, "results": results}


def test_study_writes_a_complete_report(study):
    root, results = study["root"], study["results"]
    assert study["status"] == 0
    out = root / "out"
    for name in ("results.json", "report.md", "report.html"):
        assert (out / name).is_file()
    for path in _files(out, root / "cache"):
        assert not path.endswith(".tmp")
        _check_parses(path)
    # Command line over config over defaults.
    s = results["settings"]
    assert s["samples"] == 100 and s["size"] == 16 and s["temperatures"] == [2.2, 2.6]
    assert list(results["coarse_grainers"]) == ["block_spin", "rbm_stack", "autoencoder"]
    assert results["coarse_grainers"]["autoencoder"]["estimator"]["params"]["max_iter"] == 3
    # One row per coarse-grainer in both reports, the exact values beside the estimates.
    markdown = (out / "report.md").read_text()
    rows = _summary_rows(markdown)
    assert [row[0] for row in rows] == list(results["coarse_grainers"])
    assert len(rows) == N_COARSE_GRAINERS
    assert "exact 2.2692" in markdown and "exact 1.875" in markdown
    html_text = (out / "report.html").read_text()
    summary = html_text.split("<table>")[1]
    assert summary.count("<tr>") == 1 + N_COARSE_GRAINERS
    for name, record in results["coarse_grainers"].items():
        assert set(record["metrics"]) >= set(metrics.get_scorer_names())
        assert {"y_t", "nu", "y_h", "y_t_std", "nu_std", "y_h_std"} <= set(record["exponents"])
    # The exact rule always gives exponents; a model trained for two steps on 100
    # samples may learn nothing (random coarse spins, y_h NaN, stored as null).
    assert results["coarse_grainers"]["block_spin"]["exponents"]["y_h"] is not None
    if results["figures"]:
        assert (out / "figures" / "coupling_flow.png").is_file()
    else:
        assert "matplotlib" in results["figures_note"]


def _as_float(values):
    return np.array(values, dtype=float)  # JSON null (NaN) becomes nan


def test_results_agree_with_the_library(study):
    results = study["results"]
    X, y = make_ising(**results["sampling"]["kwargs"])
    rows = X[y == results["metric_temperature"]]
    for name, record in results["coarse_grainers"].items():
        estimator = getattr(skrg, record["estimator"]["class"])(**record["estimator"]["params"])
        flow = CouplingFlowAnalyzer(estimator, **record["analyzer"]).fit(X, y)
        np.testing.assert_allclose(_as_float(record["couplings"]), flow.couplings_,
                                   rtol=1e-9, atol=1e-12, equal_nan=True)
        np.testing.assert_allclose(_as_float(record["flow"]), flow.flow_, rtol=1e-9)
        for key, value in flow.exponents_.items():
            stored = record["exponents"][key]
            assert (np.nan if stored is None else stored) == pytest.approx(value, rel=1e-9,
                                                                            nan_ok=True)
        assert record["exponent_temperature"] == flow.exponent_temperature_
        if name == "block_spin":  # exact rule: every unit oriented +1 already
            rule = flow.coarse_grainers_[0]
            m = record["metrics"]
            assert m["weight_sparsity"]["value"] == pytest.approx(metrics.weight_sparsity(rule))
            assert m["coupling_locality"]["value"] == pytest.approx(
                metrics.coupling_locality_score(flow, X, y))
            mi = metrics.mutual_information(rule, rows, random_state=results["settings"]["seed"])
            assert m["mutual_information"]["value"] == pytest.approx(mi.value)
            assert m["mutual_information"]["std"] == pytest.approx(mi.std)


def test_rerun_is_served_from_the_cache(study, capsys):
    capsys.readouterr()
    status = main(study["argv"])
    out, err = capsys.readouterr()
    assert status == 0
    again = json.loads(out)
    assert again["cache"]["stages"] == {
        "sample": {"hits": 1, "misses": 0},
        "analysis": {"hits": N_COARSE_GRAINERS, "misses": 0},
        "metrics": {"hits": N_COARSE_GRAINERS, "misses": 0},
    }
    assert again["coarse_grainers"] == study["results"]["coarse_grainers"]
    events = [json.loads(line) for line in err.splitlines()]
    done = [e for e in events if e["event"] == "done" and e["stage"] != "report"]
    assert len(done) == 1 + 2 * N_COARSE_GRAINERS and all(e["cached"] for e in done)
    with open(study["root"] / "out" / "results.json") as f:
        assert json.load(f)["coarse_grainers"] == study["results"]["coarse_grainers"]


def test_no_cache_stores_nothing(tmp_path, capsys):
    status, out, _ = _run(capsys, "study", "-L", "16", "-T", "2.2,2.4", "-n", "40",
                          "--levels", "1", "-c", "block_spin", "-o", str(tmp_path / "o"),
                          "--cache-dir", str(tmp_path / "c"), "--no-cache", "--json")
    assert status == 0
    assert json.loads(out)["cache"]["stages"]["sample"] == {"hits": 0, "misses": 1}
    assert not (tmp_path / "c").exists()


def _subprocess(argv, cwd):
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "skrg", *argv], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sigint_leaves_no_partial_files_and_a_rerun_resumes(tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    argv = ["study", "-L", "16", "-T", "2.0,2.3,2.6", "-n", "100", "--levels", "1",
            "-o", str(out), "--cache-dir", str(cache), "--json", "-j", "2"]
    process = _subprocess(argv, tmp_path)
    finished = []
    for line in process.stderr:
        event = json.loads(line)
        if event["event"] == "done":
            finished.append(event["stage"])
        if event["event"] == "start" and event["stage"] == "analysis rbm_stack":
            process.send_signal(signal.SIGINT)  # mid-study: sample and block_spin are done
            break
    rest = process.stderr.read()
    process.stdout.read()
    assert process.wait(timeout=60) == 130
    assert "Traceback" not in rest and "interrupted" in rest
    assert finished[:3] == ["sample", "analysis block_spin", "metrics block_spin"]
    files = _files(out, cache)
    assert files and not [f for f in files if f.endswith(".tmp")]
    for path in files:
        _check_parses(path)
    assert not (out / "results.json").exists()  # the report is written only at the end

    process = _subprocess(argv, tmp_path)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    results = json.loads(stdout)
    stages = results["cache"]["stages"]
    assert stages["sample"] == {"hits": 1, "misses": 0}
    assert stages["analysis"]["hits"] >= 1 and stages["metrics"]["hits"] >= 1
    assert sum(stages["analysis"].values()) == N_COARSE_GRAINERS
    with open(out / "results.json") as f:
        assert json.load(f)["coarse_grainers"] == results["coarse_grainers"]
    for path in _files(out, cache):
        assert not path.endswith(".tmp")
        _check_parses(path)


# --------------------------------------------------------------- other commands


def test_sample_saves_a_dataset(tmp_path, capsys):
    path = tmp_path / "ising.npz"
    status, out, _ = _run(capsys, "sample", "-L", "8", "-T", "2.0,3.0", "-n", "20",
                          "--seed", "4", "-o", str(path), "--json")
    assert status == 0
    X, y, meta = load_dataset(path)
    X_direct, y_direct = make_ising(20, (8, 8), [2.0, 3.0], random_state=4, n_jobs=-1)
    np.testing.assert_array_equal(X, X_direct)
    np.testing.assert_array_equal(y, y_direct)
    assert meta["lattice_shape"] == (8, 8) and meta["seed"] == 4
    assert meta["algorithm"] == ["wolff", "metropolis"] and meta["skrg_version"] == skrg.__version__
    assert json.loads(out)["sha256"] == meta["checksum"]


def test_exponents_reports_errors(tmp_path, capsys):
    status, out, _ = _run(capsys, "exponents", "-L", "16", "-n", "200", "--operators",
                          "nn,nnn,m", "--cache-dir", str(tmp_path), "--json")
    assert status == 0
    result = json.loads(out)
    (pair,) = result["level_pairs"]
    assert pair["lattices"] == [[16, 16], [8, 8]]
    assert abs(pair["y_h"] - 15 / 8) < 0.2 and 0 < pair["y_h_std"] < 0.1
    assert pair["nu_std"] > 0 and result["exact"]["y_h"] == 15 / 8
    status, out, _ = _run(capsys, "exponents", "-L", "16", "-n", "200", "--operators",
                          "nn,nnn,m", "--cache-dir", str(tmp_path))
    assert status == 0 and "16 -> 8" in out and "±" in out


def test_info(capsys):
    status, out, _ = _run(capsys, "info", "--json")
    assert status == 0
    info = json.loads(out)
    assert info["skrg"] == skrg.__version__ and info["versions"]["numba"]
    assert "threading_layer_configured" in info["numba"] and info["study_cache_dir"]
    status, out, _ = _run(capsys, "info")
    assert status == 0 and "numba threading layer" in out and "numba cache" in out


# -------------------------------------------------------------------- bad input


def _bad_inputs(tmp_path):
    (tmp_path / "broken.toml").write_text("size = [\n")
    (tmp_path / "unknown.toml").write_text("sizes = 16\n")
    (tmp_path / "typed.toml").write_text("size = 'big'\n")
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\x00")
    (tmp_path / "scheduler.toml").write_text("scheduler = 8786\n")
    (tmp_path / "a_file").write_text("")
    blocked = str(tmp_path / "a_file" / "out")
    return [
        (["study", "--bogus"], 2, "unrecognized arguments: --bogus"),
        (["frobnicate"], 2, "invalid choice: 'frobnicate'"),
        (["study", "--size", "abc"], 2, "--size: invalid int value"),
        (["study", "--size", "30"], 1, "--size 30 is not divisible by block_size\\*\\*levels"),
        (["study", "--size", "32", "--block-size", "3", "--levels", "1"], 1,
         "not divisible by block_size"),
        (["study", "--levels", "3"], 1, "leaves a lattice of side 4"),
        (["study", "--temperatures", "2.0,-1"], 1, "temperatures must be positive.*-1"),
        (["study", "--temperatures", "0"], 1, "temperatures must be positive.*got 0"),
        (["study", "--temperatures", "two"], 1, "--temperatures must be numbers"),
        (["study", "--samples", "5"], 1, "--samples must be at least 20"),
        (["study", "--coarse-grainers", "pca"], 1, "unknown coarse-grainer 'pca'"),
        (["study", "--config", str(tmp_path / "missing.toml")], 1, "cannot read config"),
        (["study", "--config", str(tmp_path / "broken.toml")], 1, "is not valid TOML"),
        (["study", "--config", str(tmp_path / "binary.toml")], 1, "is not valid TOML"),
        (["study", "--config", str(tmp_path / "unknown.toml")], 1, "unknown key 'sizes'"),
        (["study", "--config", str(tmp_path / "typed.toml")], 1, "'size' must be an integer"),
        (["study", "--config", str(tmp_path / "scheduler.toml")], 1,
         "'scheduler' must be a string"),
        (["study", "--output", blocked], 1, "cannot write to output directory"),
        (["study", "--output", str(tmp_path / "a_file")], 1, "exists and is not a directory"),
        (["sample", "--temperatures", "-2"], 1, "temperatures must be positive"),
        (["sample", "-o", os.path.join(blocked, "x.npz")], 1, "cannot write to output"),
        (["exponents", "--size", "30", "--levels", "2"], 1, "not divisible"),
    ]


def test_bad_input_gives_one_line_and_nonzero_exit(tmp_path, capsys):
    for argv, expected, match in _bad_inputs(tmp_path):
        status, out, err = _run(capsys, *argv, "--cache-dir", str(tmp_path / "c")) \
            if argv[0] == "study" else _run(capsys, *argv)
        assert status == expected, (argv, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in err, (argv, err)
        assert re.search(match, lines[0]), (argv, lines[0])
        assert lines[0].startswith("skrg")


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _one_line_error(capsys, argv, match):
    status, _, err = _run(capsys, *argv)
    lines = err.strip().splitlines()
    assert status == 1 and len(lines) == 1 and "Traceback" not in err, err
    assert re.search(match, lines[0]), lines[0]


def test_scheduler_without_distributed_names_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    for command in (["study", "-o", str(tmp_path / "o"), "--cache-dir", str(tmp_path)],
                    ["sample", "-o", str(tmp_path / "x.npz")],
                    ["exponents", "--cache-dir", str(tmp_path)]):
        _one_line_error(capsys, [*command, "--scheduler", "tcp://127.0.0.1:8786"],
                        re.escape('pip install "skrg[dask]"'))


def test_unreachable_or_empty_scheduler_is_a_one_line_error(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    dask = pytest.importorskip("dask")
    study = ["study", "-L", "16", "-T", "2.2,2.4", "-n", "40", "--levels", "1",
             "-c", "block_spin", "-o", str(tmp_path / "o"), "--no-cache", "--scheduler"]
    for address, match in (("no-port", "missing port.*expected a scheduler address"),
                           ("tcp://[::1", "invalid address|expected a scheduler address")):
        _one_line_error(capsys, [*study, address], match)
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        address = f"tcp://127.0.0.1:{_closed_port()}"
        _one_line_error(capsys, [*study, address],
                        f"cannot connect to the Dask scheduler at {address}: .*after 1 s")
        with distributed.LocalCluster(n_workers=0, host="127.0.0.1", protocol="tcp",
                                      dashboard_address=None) as cluster:
            _one_line_error(capsys, [*study, cluster.scheduler_address], "has no workers")
    assert not (tmp_path / "o" / "results.json").exists()


def test_bad_input_as_a_subprocess(tmp_path):
    (tmp_path / "a_file").write_text("")
    for argv, expected in ((["study", "--temperatures", "2,0"], 1),
                           (["study", "-o", str(tmp_path / "a_file" / "x")], 1)):
        process = _subprocess(argv, tmp_path)
        out, err = process.communicate(timeout=60)
        assert process.returncode == expected, err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
