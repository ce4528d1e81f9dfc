"""`flowc run` of a Flow serving HTTPS beside gRPC (issue 12 §1): it prints every address, the
gateway's `ssl_certfile`/`ssl_keyfile` reach uvicorn, and a SIGTERM stops every process."""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import signal
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.ports import free_port
from tests.runtime.flowc_run_harness import FlowcRun, wait_gone

PROBE = Path(__file__).with_name("http_probe.py")


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (made here: no files checked in)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_flowc_run_serves_https_and_prints_every_address(tmp_path):
    shutil.copy(PROBE, tmp_path / "http_probe.py")
    cert, key = self_signed(tmp_path)
    grpc_port, http_port = free_port(), free_port()
    (tmp_path / "flow.yml").write_text(f"""jtype: Flow
with:
  protocol: [grpc, http]
  port: [{grpc_port}, {http_port}]
gateway:
  ssl_certfile: {cert}
  ssl_keyfile: {key}
  title: Shouter
executors:
  - name: enc
    uses: Shout
    py_modules: [http_probe.py]
""", encoding="utf-8")
    run = FlowcRun(str(tmp_path / "flow.yml"), cwd=tmp_path)
    try:
        run.ready()
        assert (f"at grpc://127.0.0.1:{grpc_port}, https://127.0.0.1:{http_port} "
                in run.output), run.output
        reply = httpx.post(f"https://127.0.0.1:{http_port}/shout", verify=str(cert),
                           json={"data": [{"text": "hi"}]}, timeout=10)
        assert reply.status_code == 200 and reply.json()["data"][0]["text"] == "HI"
        info = httpx.get(f"https://127.0.0.1:{http_port}/openapi.json", verify=str(cert))
        assert info.json()["info"]["title"] == "Shouter"
        pids = set(run.children())
        marker = run.plan_marker()
        run.signal(signal.SIGTERM)
        assert run.wait() == 0
        assert wait_gone(pids, marker) == {}
    finally:
        run.kill_all()


def test_a_flow_reload_keeps_the_http_port(tmp_path):
    shutil.copy(PROBE, tmp_path / "http_probe.py")
    grpc_port, http_port = free_port(), free_port()
    flow = f"""jtype: Flow
with:
  reload: true
  protocol: [grpc, http]
  port: [{grpc_port}, {http_port}]
executors:
  - name: enc
    uses: Shout
    py_modules: [http_probe.py]
"""
    (tmp_path / "flow.yml").write_text(flow, encoding="utf-8")
    run = FlowcRun(str(tmp_path / "flow.yml"), cwd=tmp_path)
    try:
        run.ready()
        url = f"http://127.0.0.1:{http_port}/shout"
        assert httpx.post(url, json={"data": [{"text": "a"}]}).json()["data"][0]["text"] == "A"
        (tmp_path / "flow.yml").write_text(flow + "  - name: more\n", encoding="utf-8")
        run.wait_for("Flow reloaded: ")
        answer = httpx.post(url, json={"data": [{"text": "b"}]}, timeout=10)
        assert answer.status_code == 200 and answer.json()["data"][0]["text"] == "B"
        pids, marker = set(run.children()), run.plan_marker()
        run.signal(signal.SIGTERM)
        assert run.wait() == 0
        assert wait_gone(pids, marker) == {}
    finally:
        run.kill_all()
