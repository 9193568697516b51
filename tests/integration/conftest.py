"""Session fixtures for integration tests: real services, started once, always torn down."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
from _pytest.fixtures import SubRequest
from _pytest.nodeid import NodeId

from support import scheduling
from support.controlplane import SHARED_DIR, SHARED_REAL_DIR, ControlPlane, running, shared
from support.journal import ClientFactory, config_for, journal_client
from support.netpol import enforcing
from support.redis import RedisPair, replicated_pair
from support.sharedplanes import REAL_NODE_GROUP

# Session fixtures slow to start (Dex, the local stack, a private kwok plane, the NetworkPolicy
# node). Under xdist (`make test` runs `--dist loadgroup`) every test that uses one runs on the same
# worker, so each starts once; every other test stays with its file, so module fixtures start once too.
SHARED_FIXTURES = {
    "private_cluster": "private_cluster",
    "netpol_cluster": "netpol_cluster",
    "local_stack": "local_stack",
    "trusted_dex": "dex",
    "dex": "dex",
    "other_dex": "dex",
}

# The real node (`real_cluster`) is one cluster for the whole run, shared by the workers: its files
# go, whole, into this many groups of about equal length (real_cluster-1, ...), which run side by
# side. Two, not one a file: each journal release asks the node's 2 CPUs for 0.4 of them, and a
# release that cannot be scheduled would wait out helm's timeout.
REAL_NODE_LANES = 2


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    mine = [item for item in items if here in item.path.parents]  # unit tests spread one by one
    on_node = [item for item in mine if "real_cluster" in item.fixturenames]  # type: ignore[attr-defined]
    files: dict[str, int] = {}
    for item in on_node:
        file = str(item.path.relative_to(here))
        files[file] = files.get(file, 0) + 1
    lane = scheduling.lanes(files, REAL_NODE_LANES)
    for item in mine:
        file = str(item.path.relative_to(here))
        used = [group for name, group in SHARED_FIXTURES.items() if name in item.fixturenames]  # type: ignore[attr-defined]
        if not used and file in lane:
            used = [f"{REAL_NODE_GROUP}-{lane[file] + 1}"]
        item.add_marker(pytest.mark.xdist_group(used[0] if used else file))


class EarlyFinish:
    """Finish a shared fixture (and what depends on it) right after its last user's teardown.

    A real node idles at several CPU-seconds a minute, so it goes as soon as its last test is done,
    not at the session's end. Only for fixtures whose users all run in their group, in order, on
    one worker; other `--dist` modes spread a group's tests, so they keep the default. A plugin of
    its own: a session fixture's setup hook reaches only plugins, not this directory's conftest.
    """

    def __init__(self) -> None:
        self.last: dict[str, pytest.Item] = {}
        self.started: dict[str, tuple[pytest.FixtureDef[Any], SubRequest]] = {}

    def find_last_users(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        dist = config.getoption("dist", "no")
        if dist not in ("no", "loadgroup"):
            return
        # Without xdist the real node is this process's own (under it, the controller stops it).
        for name in [*SHARED_FIXTURES, *(["real_cluster"] if dist == "no" else [])]:
            users = [item for item in items if name in item.fixturenames]  # type: ignore[attr-defined]
            groups = {m.args[0] for item in users for m in item.iter_markers("xdist_group")}
            if users and (dist == "no" or len(groups) == 1):
                self.last[name] = users[-1]

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef[Any], request: SubRequest) -> Any:
        if fixturedef.argname in self.last and fixturedef.scope == "session":
            self.started[fixturedef.argname] = (fixturedef, request)
        return (yield)

    @pytest.hookimpl(trylast=True)  # after pytest's own teardown of the test's module and function fixtures
    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        for name, last in self.last.items():
            if last is item and name in self.started:
                fixturedef, request = self.started.pop(name)
                fixturedef.finish(request)  # a teardown error is this test's, as at the session's end


EARLY_FINISH = EarlyFinish()


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.is_registered(EARLY_FINISH):
        config.pluginmanager.register(EARLY_FINISH, "kbp-early-finish")


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reports the ids to the scheduler
def pytest_collection_finish(session: pytest.Session) -> None:
    """Put each test's group in its node id (`<id>@<group>`), where loadgroup's scheduler reads it.

    pytest-xdist 3.8 writes the group to `item._nodeid`, which pytest 9.2 no longer reads (its ids
    are structured), so every group was silently dropped and one file's tests, which share a
    module fixture and run in order, went to several workers (pytest-dev/pytest-xdist#1386).
    """
    _unique_ids(session.items)
    EARLY_FINISH.find_last_users(session.config, session.items)
    if not session.config.getoption("loadgroup", False):
        return  # set on xdist workers under --dist loadgroup only
    for item in session.items:
        names = {str(m.args[0] if m.args else m.kwargs["name"]) for m in item.iter_markers("xdist_group")}
        suffix = "@" + "_".join(sorted(names))
        if names and not item.nodeid.endswith(suffix):
            item._id = NodeId.parse(item.nodeid + suffix)


def _unique_ids(items: list[pytest.Item]) -> None:
    """Give each item the id its name says, where several share one.

    Schemathesis 4.32 under pytest 9.2 gives every API operation's case the bare function's id
    (`…::test_x`, not `…::test_x[GET /api]`). xdist schedules and reports by id, so it ran one
    operation of four and dropped the rest without a word.
    """
    seen: dict[str, int] = {}
    for item in items:
        seen[item.nodeid] = seen.get(item.nodeid, 0) + 1
    for item in items:
        if seen[item.nodeid] > 1 and item.parent is not None and not item.nodeid.endswith(item.name):
            item._id = NodeId.parse(f"{item.parent.nodeid}::{item.name}")
    ids = [item.nodeid for item in items]
    if len(set(ids)) != len(ids):
        shared = sorted({i for i in ids if ids.count(i) > 1})
        raise pytest.UsageError(f"several tests share an id, so xdist would run one of them: {shared}")


@pytest.fixture(scope="session")
def cluster(request: SubRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """A real Kubernetes control plane (etcd, apiserver, KCM, scheduler, kwok nodes) for the session.

    Under pytest-xdist every worker shares one: started by the first to ask, stopped by the
    controller at the end (`pytest_sessionfinish` in tests/conftest.py). So its users keep to names
    of their own and never change how the cluster behaves for others; those that must (a
    controller-manager without its CSR signer, a cluster-wide admission policy) use `private_cluster`.
    """
    if not hasattr(request.config, "workerinput"):
        with running(tmp_path_factory.mktemp("cluster"), tmp_path_factory.mktemp("tools")) as plane:
            yield plane
        return
    # A worker's basetemp is a directory in the controller's, where the controller finds the plane.
    yield shared(tmp_path_factory.getbasetemp().parent / SHARED_DIR, tmp_path_factory.mktemp("tools"))


@pytest.fixture(scope="session")
def private_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """A kwok control plane of its own for the modules that change the cluster for everyone on it.

    Such a module overrides `cluster` with it (`def cluster(private_cluster)`); all of them run on
    one worker, one after another, and the plane stops after the last.
    """
    state, tools = tmp_path_factory.mktemp("private-cluster"), tmp_path_factory.mktemp("private-tools")
    with running(state, tools) as plane:
        yield plane


@pytest.fixture(scope="session")
def real_cluster(request: SubRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """A control plane of its own with a real node (kubelet, containerd, kube-proxy, CoreDNS).

    `real_cluster.cluster.node` (kbp.cluster.record.RealNode) says how to load images into it
    (support.realnode.import_archive, support.localimages.load) and run commands in its network
    (`node.in_network`). The kwok nodes are tainted: pods land on the real node.

    Under pytest-xdist the workers share one, as they share `cluster` (REAL_NODE_LANES of them at a
    time): its users keep to namespaces and names of their own, and disturb nothing beyond them
    (no restart of the node's daemons, no cluster-wide policy; the reaper deletes only its own
    expired namespaces). The controller stops it after its last test (support.sharedplanes), so
    a session fixture built on it must not need it in its teardown. Torn down with a check that
    nothing (process, cgroup, mount, netns) is left.
    """
    tools = tmp_path_factory.mktemp("real-tools")
    if not hasattr(request.config, "workerinput"):
        with running(tmp_path_factory.mktemp("real-cluster"), tools, real_node=True) as plane:
            yield plane
        return
    yield shared(tmp_path_factory.getbasetemp().parent / SHARED_REAL_DIR, tools, real_node=True)


@pytest.fixture(scope="session")
def netpol_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """Like `real_cluster`, with NetworkPolicies enforced (kube-router's firewall, tests only).

    A cluster of its own, so that tests on `real_cluster` never depend on whether it runs.
    """
    state, tools = tmp_path_factory.mktemp("netpol-cluster"), tmp_path_factory.mktemp("netpol-tools")
    with running(state, tools, real_node=True) as plane, enforcing(plane):
        yield plane


# Journal: real Redis, a primary and a replica with auth and AOF (tests/support/redis.py).


@pytest.fixture(scope="session")
def redis_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisPair]:
    """One primary + replica for the session; tests that stop a server use `fresh_redis_pair`."""
    with replicated_pair(tmp_path_factory.mktemp("redis")) as pair:
        yield pair


@pytest.fixture
def fresh_redis_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisPair]:
    """A primary + replica of this test's own, free to be killed and restarted."""
    with replicated_pair(tmp_path_factory.mktemp("redis")) as pair:
        yield pair


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def empty_redis(redis_pair: RedisPair) -> RedisPair:
    """The session pair, emptied: FLUSHALL on the primary, seen by the replica."""
    redis_pair.primary.client().flushall()
    redis_pair.wait_replicated()
    return redis_pair


@pytest.fixture
def journal_for() -> ClientFactory:
    """`async with journal_for(pair, entries=3) as client:` a journal app of its own on that pair."""

    def make(pair: RedisPair, **overrides: Any) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        return journal_client(config_for(pair, **overrides))

    return make


@pytest.fixture
async def journal(empty_redis: RedisPair) -> AsyncIterator[httpx.AsyncClient]:
    """A client for an in-process journal app on the emptied session pair."""
    async with journal_client(config_for(empty_redis)) as client:
        yield client
