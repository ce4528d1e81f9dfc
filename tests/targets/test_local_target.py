"""The local target: which processes a plan needs, their ports and command lines."""

import json

from flowc.compiler.plan import Address, Deployment, ExecutorRef, FlowInfo, Gateway, Plan
from flowc.targets import local


def _plan(*deployments: Deployment, gateway_ports: tuple[int, ...] = ()) -> Plan:
    return Plan(flow=FlowInfo(name="demo", source="flow.yml"),
                gateway=Gateway(ports=gateway_ports), deployments=deployments,
                responders=(deployments[-1].name,))


def _dep(name: str, needs=("gateway",), **kw) -> Deployment:
    return Deployment(name=name, executor=ExecutorRef(kind="class", jtype="Echo",
                                                      py_modules=("echo.py",)),
                      needs=needs, source="flow.yml:3:5", **kw)


def test_chain_gets_one_worker_each_and_the_gateway_last():
    plan = _plan(_dep("a"), _dep("b", needs=("a",)))
    files, diags = local.render(plan, local.Options(base_port=40000))
    assert diags == []
    launch = json.loads(files["launch.json"])
    names = [p["name"] for p in launch["processes"]]
    assert names == ["a/rep-0", "b/rep-0", "gateway"]
    ports = [p["port"] for p in launch["processes"]]
    assert ports == [40001, 40002, 40000]
    gateway = launch["processes"][-1]["argv"]
    addresses = json.loads(gateway[gateway.index("--addresses") + 1])
    assert addresses == {"a": ["127.0.0.1:40001"], "b": ["127.0.0.1:40002"]}
    assert files["plan.json"] == plan.to_json()
    assert "a-rep-0: flowc-runtime worker" in files["Procfile"]


def test_shards_and_replicas_get_a_head_listing_each_shard_replicas():
    plan = _plan(_dep("idx", shards=2, replicas=2,
                      uses_after=ExecutorRef(kind="class", jtype="Merge")))
    launch = json.loads(local.render(plan, local.Options(base_port=41000))[0]["launch.json"])
    procs = {p["name"]: p for p in launch["processes"]}
    assert list(procs) == ["idx/shard-0/rep-0", "idx/shard-0/rep-1", "idx/shard-1/rep-0",
                           "idx/shard-1/rep-1", "idx/uses_after", "idx/head", "gateway"]
    head = procs["idx/head"]["argv"]
    shards = json.loads(head[head.index("--shards") + 1])
    assert shards == [["127.0.0.1:41001", "127.0.0.1:41002"], ["127.0.0.1:41003", "127.0.0.1:41004"]]
    assert head[head.index("--uses-after") + 1] == "127.0.0.1:41005"
    worker = procs["idx/shard-1/rep-0"]["argv"]
    assert worker[worker.index("--shard") + 1] == "1" and worker[worker.index("--replica") + 1] == "0"


def test_gateway_port_of_the_flow_is_kept_and_skipped_by_the_others():
    plan = _plan(_dep("a"), gateway_ports=(42001,))
    launch = json.loads(local.render(plan, local.Options(base_port=42000))[0]["launch.json"])
    assert {p["name"]: p["port"] for p in launch["processes"]} == {"a/rep-0": 42002, "gateway": 42001}
    assert launch["gateway"] == {"host": "127.0.0.1", "port": 42001}


def test_external_and_gateway_placed_entries_get_no_process():
    plan = _plan(_dep("ext", external=(Address("10.0.0.5", 9000, tls=True),)),
                 _dep("pre", needs=("ext",), placement="gateway"))
    launch = json.loads(local.render(plan, local.Options())[0]["launch.json"])
    assert [p["name"] for p in launch["processes"]] == ["gateway"]
    argv = launch["processes"][0]["argv"]
    assert json.loads(argv[argv.index("--addresses") + 1]) == {"ext": ["grpcs://10.0.0.5:9000"]}


def test_docker_executor_is_a_located_error():
    plan = _plan(Deployment(name="enc", executor=ExecutorRef(kind="docker", image="enc:1.0"),
                            needs=("gateway",), source="flow.yml:7:5"))
    files, diags = local.render(plan, local.Options())
    assert files == {}
    assert [(d.code, d.span.line, d.span.col) for d in diags] == [("FC760", 7, 5)]


def test_output_is_byte_identical_across_runs():
    plan = _plan(_dep("a"), _dep("b", needs=("a",), shards=3))
    assert local.render(plan, local.Options()) == local.render(plan, local.Options())


def test_ports_past_65535_are_fc743_not_written():
    # base_port 70000, or more replicas than ports above base_port, used to write ports such as
    # 152000 into launch.json and the Procfile
    files, diags = local.render(_plan(_dep("a")), local.Options(base_port=70000))
    assert files == {} and [(d.code, d.message) for d in diags] == [
        ("FC743", "`base_port` 70000 is out of range")]
    files, diags = local.render(_plan(_dep("a", replicas=3)), local.Options(base_port=65533))
    assert files == {} and [d.code for d in diags] == ["FC743"]
    assert "65536 of `a/rep-2`" in diags[0].message
    files, diags = local.render(_plan(_dep("a", replicas=2)), local.Options(base_port=65533))
    assert diags == [] and json.loads(files["launch.json"])["gateway"]["port"] == 65533


def test_http_gateway_gets_a_port_per_protocol_in_launch_and_procfile():
    plan = Plan(flow=FlowInfo(name="demo", source="flow.yml"),
                gateway=Gateway(protocols=("http",), ports=(42010,)),
                deployments=(_dep("a"),), responders=("a",))
    files, diags = local.render(plan, local.Options(base_port=42000))
    assert diags == []
    launch = json.loads(files["launch.json"])
    # gRPC is always served (health, readiness, `flowc post`): the next free port
    assert launch["gateway"] == {"host": "127.0.0.1", "port": 42000,
                                 "ports": {"grpc": 42000, "http": 42010}}
    gateway = launch["processes"][-1]["argv"]
    assert gateway[gateway.index("--http-port") + 1] == "42010"
    assert {p["name"]: p["port"] for p in launch["processes"]} == {"a/rep-0": 42001,
                                                                   "gateway": 42000}
    assert "--http-port 42010" in files["Procfile"]
