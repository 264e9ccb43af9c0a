"""Everything parallel in skrg on a Dask cluster gives the sequential results.

A LocalCluster of two single-threaded worker processes on 127.0.0.1 stands in
for a real cluster: processes, because that is what a cluster has (every task
and result crosses a pickle and a socket, and the numba kernels load in each
worker from the on-disk cache), and one thread each with every thread pool at
one, as the user guide recommends. Each test checks on the scheduler's task
stream that the work ran on the workers, not silently in this process.
"""

import importlib
import json

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skrg import BernoulliRBM, BlockSpinRG, CouplingFlowAnalyzer, make_ising
from skrg.cli import main
from skrg.ising.exact import critical_temperature
from skrg.metrics import get_scorer

distributed = pytest.importorskip("distributed")

SINGLE_THREADED = {name: "1" for name in (
    "NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


@pytest.fixture(scope="module")
def client():
    with (distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None,
                                   env=SINGLE_THREADED) as cluster,
          distributed.Client(cluster) as client):
        # Import skrg in the workers once, so no test's timing depends on its order.
        client.run(importlib.import_module, "skrg")
        yield client


def on_the_cluster(client, run):
    """Call ``run()`` under the dask backend; return its result and the tasks run."""
    with (distributed.get_task_stream(client) as tasks,
          joblib.parallel_config(backend="dask")):
        result = run()
    workers = {task["worker"] for task in tasks.data}
    assert tasks.data and workers <= set(client.nthreads()), "nothing ran on the workers"
    return result, tasks.data


def names(tasks):
    return " ".join(task["key"] for task in tasks)


@pytest.fixture(scope="module")
def grid_16():
    return make_ising(60, (16, 16), [2.0, 2.3, 2.6], random_state=5)


def test_make_ising_is_bitwise_the_sequential_sample(client):
    args = (30, (8, 8), [2.0, 2.4, 3.0])
    kwargs = dict(n_chains=4, random_state=3, return_info=True)
    X, y, info = make_ising(*args, n_jobs=1, **kwargs)
    (X_dask, y_dask, info_dask), tasks = on_the_cluster(
        client, lambda: make_ising(*args, n_jobs=2, **kwargs))
    # 3 temperatures x 4 chains, spread over both workers.
    assert names(tasks).count("_sample_chain") >= 1
    assert {task["worker"] for task in tasks} == set(client.nthreads())
    np.testing.assert_array_equal(X_dask, X)
    np.testing.assert_array_equal(y_dask, y)
    assert info_dask["algorithm"] == info["algorithm"] == ["wolff", "wolff", "metropolis"]
    for key in ("burn_in", "thin", "autocorrelation_time", "mean_cluster_size"):
        np.testing.assert_array_equal(info_dask[key], info[key])


def test_grid_search_over_block_spin_rules_is_bitwise_the_sequential_one(client, grid_16):
    X, y = grid_16
    X = X[y == 2.3]
    scoring = {name: get_scorer(name) for name in
               ("correlation_preservation", "block_alignment", "weight_sparsity")}

    def search(n_jobs):
        return GridSearchCV(BlockSpinRG(random_state=0),
                            {"rule": ["majority", "decimation", "average"]}, cv=2,
                            scoring=scoring, refit="correlation_preservation",
                            error_score="raise", n_jobs=n_jobs)

    sequential = search(1).fit(X)
    distributed_search, tasks = on_the_cluster(client, lambda: search(2).fit(X))
    assert "_fit_and_score" in names(tasks)
    assert distributed_search.best_params_ == sequential.best_params_
    for key, values in sequential.cv_results_.items():
        if "test_" in key:  # no BLAS in a block rule or these scores: bit for bit
            np.testing.assert_array_equal(distributed_search.cv_results_[key], values)


def test_grid_search_over_a_pipeline_with_a_learned_model(client, grid_16):
    X, y = grid_16
    X = np.where(X.sum(axis=1, keepdims=True) < 0, -X, X).astype(np.int8)  # m >= 0
    phase = (y < critical_temperature(2)).astype(int)
    rbm = BernoulliRBM(connectivity="local", block_size=2, n_iter=2, output="mean",
                       random_state=0)
    grid = {"coarse": [BlockSpinRG(output="mean", random_state=0), rbm],
            "classify__C": [0.1, 1.0]}

    def search(n_jobs):
        pipe = Pipeline([("coarse", BlockSpinRG()), ("classify", LogisticRegression())])
        return GridSearchCV(pipe, grid, cv=3, scoring="neg_log_loss", error_score="raise",
                            n_jobs=n_jobs)

    sequential = search(1).fit(X, phase)
    distributed_search, tasks = on_the_cluster(client, lambda: search(2).fit(X, phase))
    assert "_fit_and_score" in names(tasks)
    assert distributed_search.best_params_ == sequential.best_params_
    # The RBM and the logistic regression train with BLAS, whose thread count (one in
    # the workers) may change the rounding of sums: equal to float tolerance.
    for key, values in sequential.cv_results_.items():
        if key.endswith("test_score"):
            np.testing.assert_allclose(distributed_search.cv_results_[key], values,
                                       rtol=1e-9, atol=0)


@pytest.mark.parametrize("coarse_grainer", [
    None,
    BernoulliRBM(connectivity="local", block_size=2, n_iter=2, random_state=0),
], ids=["majority", "rbm"])
def test_coupling_flow_analyzer_is_bitwise_the_sequential_one(client, grid_16,
                                                              coarse_grainer):
    X, y = grid_16
    params = dict(n_levels=2, operators=["nn", "nnn", "m"], min_coarse_size=4,
                  n_jackknife_blocks=5, random_state=7)
    sequential = CouplingFlowAnalyzer(coarse_grainer, n_jobs=1, **params).fit(X, y)
    flow, tasks = on_the_cluster(
        client, lambda: CouplingFlowAnalyzer(coarse_grainer, n_jobs=2, **params).fit(X, y))
    assert names(tasks).count("_temperature_couplings") >= 1
    # Learned models are fitted here, before the temperatures go out; the workers run
    # the couplings' Newton solves, which come out bit for bit the same.
    for name in ("couplings_", "couplings_std_", "flow_", "flow_std_"):
        np.testing.assert_array_equal(getattr(flow, name), getattr(sequential, name))
    np.testing.assert_equal(flow.exponents_, sequential.exponents_)  # NaN equals NaN here
    assert flow.exponent_temperature_ == sequential.exponent_temperature_


def test_study_on_the_scheduler_equals_the_local_study(client, tmp_path, capsys):
    argv = ["study", "-L", "16", "-T", "2.2,2.4", "-n", "40", "--levels", "1",
            "-c", "block_spin", "--no-cache", "--json"]
    results = {}
    for where, extra in (("local", ["-j", "1"]),
                         ("dask", ["-j", "2", "--scheduler", client.scheduler.address])):
        with distributed.get_task_stream(client) as tasks:
            status = main([*argv, *extra, "-o", str(tmp_path / where)])
        out, err = capsys.readouterr()
        assert status == 0, err
        results[where] = json.loads(out)
        if where == "local":
            assert not tasks.data
        else:
            assert "on the Dask scheduler at" in err
            assert "_sample_chain" in names(tasks.data)
            assert "_temperature_couplings" in names(tasks.data)
    # Every number of results.json but the timings.
    for result in results.values():
        del result["timings"]
        for record in result["coarse_grainers"].values():
            del record["compute_seconds"]
    assert results["dask"] == results["local"]
