"""The Ray engine (``--engine ray``) on a private two-CPU Ray cluster on this machine: the same Parquet rows as
the local engine, and a cluster that listens on the loopback interface only. One Ray session serves the module
(starting one takes tens of seconds); the test-wide ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` (conftest) keeps it
on 127.0.0.1."""

from __future__ import annotations

import os

import pyarrow.parquet as pq
import pytest
from evaluate_fixtures import FAST, bad_keys, tiny_dataset
from listening import descendants, listening_addresses

from cam_methods.evaluate.run import evaluate
from cam_methods.evaluate.table import read_results

ray = pytest.importorskip("ray", reason="Ray is optional: pip install -r requirements-scale.txt")
LOOPBACK = {"127.0.0.1", "::ffff:127.0.0.1", "::1"}


@pytest.fixture(scope="module")
def ray_session():
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()


def test_the_ray_engine_writes_the_local_engines_rows(ray_session, tmp_path):
    dataset = tiny_dataset(tmp_path / "images")
    local = evaluate(dataset, tmp_path / "local.parquet", FAST, workers=0, threads=1, show_progress=False)
    remote = evaluate(dataset, tmp_path / "ray.parquet", FAST, engine="ray", actors=2, show_progress=False)
    assert remote.evaluated == local.evaluated and remote.rows == local.rows > 0
    assert sorted(remote.skipped) == bad_keys() and remote.skipped == local.skipped
    rows = [pq.read_table(tmp_path / name).replace_schema_metadata(None) for name in ("local.parquet", "ray.parquet")]
    assert rows[0].equals(rows[1])
    assert read_results(tmp_path / "ray.parquet")[3]["engine"] == "ray"


def test_the_ray_cluster_listens_on_loopback_only(ray_session):
    assert {node["NodeManagerAddress"] for node in ray.nodes()} == {"127.0.0.1"}
    addresses = listening_addresses(descendants(os.getpid()))
    assert addresses, "no Ray process of this test listens on any port"
    assert set(addresses) <= LOOPBACK, addresses
