"""Row-by-row tests of SPEC §3's precedence and merge tables."""

from flowc.compiler import precedence as p

FILE = {
    "jtype": "MyExec",
    "with": {"a": 1, "nested": {"x": 1, "y": 2}},
    "metas": {"name": "orig", "description": "d"},
    "requests": {"/index": "index", "/search": "search", "/foo": "foo"},
    "dynamic_batching": {"/search": {"preferred_batch_size": 4, "timeout": 10}},
    "py_modules": ["m.py"],
}


def test_uses_with_is_shallow_and_wins():
    out = p.merge_executor_config(FILE, uses_with={"a": 2, "nested": {"x": 9}, "new": True})
    assert out["with"] == {"a": 2, "nested": {"x": 9}, "new": True}


def test_uses_metas_is_shallow():
    out = p.merge_executor_config(FILE, uses_metas={"name": "over"})
    assert out["metas"] == {"name": "over", "description": "d"}


def test_uses_requests_rebinding_removes_old_binding():
    out = p.merge_executor_config(FILE, uses_requests={"/find": "search"})
    assert out["requests"] == {"/index": "index", "/foo": "foo", "/find": "search"}


def test_uses_requests_replacing_an_endpoint():
    out = p.merge_executor_config(FILE, uses_requests={"/index": "foo"})
    assert out["requests"] == {"/index": "foo", "/search": "search"}


def test_uses_dynamic_batching_is_deep():
    out = p.merge_executor_config(
        FILE, uses_dynamic_batching={"/search": {"timeout": 50}, "/index": {"timeout": 1}})
    assert out["dynamic_batching"] == {"/search": {"preferred_batch_size": 4, "timeout": 50},
                                       "/index": {"timeout": 1}}


def test_null_override_changes_nothing():
    out = p.merge_executor_config(FILE, uses_with=None, uses_metas={"name": None},
                                  uses_requests={"/x": None},
                                  uses_dynamic_batching={"/search": {"timeout": None}})
    assert out == FILE


def test_missing_file_blocks_are_created_and_input_not_modified():
    base = {"jtype": "E"}
    out = p.merge_executor_config(base, uses_with={"k": 1}, uses_requests={"/a": "m"})
    assert out == {"jtype": "E", "with": {"k": 1}, "requests": {"/a": "m"}}
    assert base == {"jtype": "E"}
    out2 = p.merge_executor_config(FILE, uses_with={"nested": {"x": 5}})
    assert FILE["with"]["nested"] == {"x": 1, "y": 2}
    assert out2["py_modules"] == ["m.py"] and out2["py_modules"] is not FILE["py_modules"]


def test_flow_with_pass_down_tables():
    flow_with = {"name": "f", "workspace": "/w", "port": 1234, "protocol": "grpc",
                 "timeout_ready": 5, "uses_with": {"a": 1}, "env": {"A": "1"}, "tracing": True}
    assert p.flow_common_keys(flow_with) == {"port": 1234, "protocol": "grpc", "timeout_ready": 5,
                                             "uses_with": {"a": 1}, "tracing": True}
    assert p.gateway_inherited(flow_with) == {"port": 1234, "protocol": "grpc",
                                              "timeout_ready": 5, "tracing": True}
    assert p.executor_inherited(flow_with, {"timeout_ready": 9}) == {"tracing": True}
    assert p.executor_inherited(flow_with, {}) == {"timeout_ready": 5, "tracing": True}


def test_resources_merge_under_an_entry_s_own_and_other_keys_are_replaced():
    flow_with = {"resources": {"limits": {"cpu": "1", "memory": "4Gi"}, "requests": {"cpu": "1"}},
                 "gpus": 1, "env_from_secret": {"A": {"name": "s", "key": "k"}}}
    entry = {"resources": {"limits": {"memory": "8Gi", "cpu": None}}, "gpus": 2,
             "env_from_secret": {"B": {"name": "t", "key": "k"}}}
    assert p.PASS_DOWN_MERGE == {"resources": "deep"}
    assert p.executor_inherited(flow_with, entry) == {
        "resources": {"limits": {"cpu": "1", "memory": "8Gi"}, "requests": {"cpu": "1"}}}
    assert p.executor_inherited(flow_with, {}) == flow_with
    # a runtime reference or a value that is not a mapping is never merged into
    assert not p.merges("resources", {"$template": "${{ ENV.R }}"}, {"limits": {}})
    assert not p.merges("resources", {"limits": {}}, "${{ ENV.R }}")
    assert not p.merges("gpus", 1, 2)


def test_tables_match_jina():
    assert p.NOT_PASSED_TO_EXECUTORS == {"port", "ports", "port_monitoring", "uses", "uses_with",
                                         "protocol", "protocols"}
    assert {"uses", "uses_with"} <= p.NOT_PASSED_TO_GATEWAY
    assert {"name", "workspace", "log_config", "quiet", "quiet_error", "env"} <= p.FLOW_OWN_KEYS
