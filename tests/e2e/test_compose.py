"""The compose target's output runs under the Docker Compose v2 binary against podman's Docker API,
with the commands its README gives: `sh build-images.sh`, `docker compose up -d --wait`,
`docker compose down`.

- examples/chain answers `HELLO! [demo]`;
- tests/e2e/flows/fanout (2 shards x 2 replicas behind a head, `when`, a floating entry) answers
  every request right, and heals: one replica's process is killed, every request during the
  outage still succeeds (the gateway retries the other replica), compose's `restart: on-failure`
  starts the replica again and it answers again.

Every container, network and volume of the projects is removed (`down -v`), also on failure.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e import flowrun, service

UP_TIMEOUT = 240  # seconds for `up -d --wait`: workers import docarray and grpc first


class Project:
    """A compose output folder and the commands its README gives, run through podman's API."""

    def __init__(self, out: Path, name: str, env: dict[str, str], docker_host: str):
        self.out, self.name = out, name
        self.env = dict(env, DOCKER_HOST=docker_host)
        self.podman_env = env

    def compose(self, *args: str, timeout: float = 120, check: bool = True
                ) -> subprocess.CompletedProcess:
        return flowrun.run([str(service.compose_binary()), *args], env=self.env, cwd=self.out,
                           timeout=timeout, check=check)

    def up(self) -> None:
        with service.healthchecks(self.podman_env, label=self.label):
            self.compose("up", "-d", "--wait", timeout=UP_TIMEOUT)

    @property
    def label(self) -> str:
        return f"com.docker.compose.project={self.name}"

    def down(self) -> str:
        """`down -v`, then clear what it left (containers, volumes, the network); return what
        that was ("" when nothing), for the test to assert once nothing else failed."""
        self.compose("down", "-v", check=False)  # the README: `docker compose down` (+ -v)
        left = self._podman_names("ps", "-a", "--filter", f"label={self.label}")
        service.remove_containers(left, self.podman_env)
        volumes = [name for name in self._podman_names("volume", "ls")
                   if name.startswith(f"{self.name}_")]
        networks = [name for name in self._podman_names("network", "ls")
                    if name == f"{self.name}-flowc"]
        for kind, names in (("volume", volumes), ("network", networks)):
            if names:
                flowrun.run(["podman", kind, "rm", "-f", *names], env=self.podman_env,
                            check=False)
        if left or volumes or networks:
            return f"compose down left containers {left}, volumes {volumes}, networks {networks}"
        return ""

    def _podman_names(self, *args: str) -> list[str]:
        return flowrun.run(["podman", *args, "--format", "{{.Name}}" if args[0] != "ps"
                            else "{{.Names}}"], env=self.podman_env).stdout.split()

    def inspect(self, container: str, field: str) -> str:
        return flowrun.run(["podman", "inspect", "--format", f"{{{{{field}}}}}", container],
                           env=self.podman_env).stdout.strip()


def _log(container: str, env: dict[str, str]) -> str:
    logs = flowrun.run(["podman", "logs", container], env=env)
    return logs.stdout + logs.stderr


def _project(flow: Path, podman, docker_host: str, tmp_path: Path) -> Project:
    image = flowrun.image_name(flow)
    out = flowrun.flowc_build(flow, "compose", tmp_path / flow.parent.name, "--image", image,
                              "--base-image", podman.images.python)
    flowrun.drop_stale_images(flow, image, podman.env)
    flowrun.build_images(out, podman.env)
    return Project(out, flow.parent.name, podman.env, docker_host)


def test_fanout_flow_is_valid_without_warnings() -> None:
    """The e2e Flow itself, checked in the unit suite: a broken flow fails here, not in CI's e2e."""
    flowrun.run([flowrun.FLOWC, "validate", "--strict", str(flowrun.FANOUT)])


@pytest.mark.e2e
def test_compose_chain_answers(podman, docker_host: str, tmp_path: Path) -> None:
    project = _project(flowrun.CHAIN, podman, docker_host, tmp_path)
    try:
        project.up()
        published = project.compose("port", "gateway", "54321").stdout.strip()
        assert published == "127.0.0.1:54321", f"gateway published as {published}"
        docs = flowrun.post("127.0.0.1:54321", "/default", ["hello", "world"])
        assert flowrun.texts(docs) == ["HELLO! [demo]", "WORLD! [demo]"]
    finally:
        left = project.down()
    assert not left, left


@pytest.mark.e2e
def test_compose_sharded_replicated_flow_answers_and_heals(podman, docker_host: str,
                                                           tmp_path: Path) -> None:
    project = _project(flowrun.FANOUT, podman, docker_host, tmp_path)
    address = "127.0.0.1:54322"
    victim = "fanout-score-shard-0-rep-0-1"
    try:
        project.up()
        seen = flowrun.check_fanout(address)
        assert {shard for shard, _ in seen} == {"shard_0", "shard_1"}
        assert {replica for _, replica in seen} == {"rep-0", "rep-1"}  # round robin
        # The floating entry got every request (its answer never reached the client).
        flowrun.wait_until(lambda: _log("fanout-audit-rep-0-1", podman.env).count(
            "audit: a b c") == 5, 10, "the floating entry's five requests")

        with service.healthchecks(podman.env, label=project.label):
            # A crash, not a stop: SIGKILL to the worker's process from the host, so compose's
            # `restart: on-failure` applies (a user's `stop` would not be restarted). Requests
            # keep flowing meanwhile and every one succeeds: /search needs shard 0, whose other
            # replica answers while this one is down (the head retries there).
            pid = project.inspect(victim, ".State.Pid")
            answers = flowrun.post_while(address, "/search", flowrun.FANOUT_DOCS,
                                         lambda: flowrun.run(["kill", "-9", pid]), after=3)
            assert len(answers) >= 3, answers
            for docs in answers:
                assert flowrun.texts(docs) == ["A", "B", "C"], docs
                assert {"shard_0", "shard_1"} <= set(docs[0]["tags"]), docs
            flowrun.wait_until(lambda: int(project.inspect(victim, ".RestartCount")) >= 1
                               and project.inspect(victim, ".State.Health.Status") == "healthy",
                               90, f"{victim} restarted and healthy")

            def healed() -> bool:
                docs = flowrun.post(address, "/search", flowrun.FANOUT_DOCS)
                assert flowrun.texts(docs) == ["A", "B", "C"], docs
                return docs[0]["tags"]["shard_0"] == "rep-0"

            flowrun.wait_until(healed, 60, f"{victim} answering again", interval=0.2)
    finally:
        left = project.down()
    assert not left, left

