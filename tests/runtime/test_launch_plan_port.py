"""`flowc run --plan DIR --port P` moves only the gateway of the launch plan, and refuses a port
another server of that plan (a Raft node included) already has. The real run is in
test_flowc_run_e2e.py; these are the rules, row by row."""

from __future__ import annotations

import json

import pytest

from flowc.runtime.launch_plan import gateway_moved_to


def _launch() -> dict:
    worker = ["flowc-runtime", "worker", "--plan", "plan.json", "--port", "52001",
              "--raft-peers", "@raft-peers.json"]
    gateway = ["flowc-runtime", "gateway", "--plan", "plan.json", "--port", "52000",
               "--addresses", '{"s":["127.0.0.1:52001"]}']
    return {"version": 1, "flow": "f", "base_dir": "..", "plan": "plan.json",
            "gateway": {"host": "127.0.0.1", "port": 52000},
            "processes": [{"name": "s/rep-0", "kind": "worker", "port": 52001, "argv": worker},
                          {"name": "gateway", "kind": "gateway", "port": 52000, "argv": gateway}]}


def test_only_the_gateway_moves_and_the_launch_plan_read_is_unchanged():
    launch = _launch()
    before = json.dumps(launch, sort_keys=True)
    moved = gateway_moved_to(launch, 23456)
    assert json.dumps(launch, sort_keys=True) == before
    assert moved["gateway"] == {"host": "127.0.0.1", "port": 23456}
    worker, gateway = moved["processes"]
    assert gateway["port"] == 23456 and gateway["argv"][4:6] == ["--port", "23456"]
    assert worker == launch["processes"][0]


def test_a_port_of_another_server_or_raft_node_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"port 52001 is s/rep-0's in this launch plan"):
        gateway_moved_to(_launch(), 52001)
    peers = tmp_path / "raft-peers.json"
    peers.write_text(json.dumps({"s": [["127.0.0.1:52002"]]}))
    with pytest.raises(ValueError, match=r"s's Raft node \(shard 0, replica 0\)"):
        gateway_moved_to(_launch(), 52002, peers)
    assert gateway_moved_to(_launch(), 52003, peers)["gateway"]["port"] == 52003
