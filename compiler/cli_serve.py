"""`flowc run` and `flowc post`: the commands that start a Flow or talk to a running one.

The runtime (grpc, protobuf, docarray) is imported inside the commands, so the other commands
never pay for it. `compile_file` is the CLI's compile-and-report function (cli._compile).
"""

from __future__ import annotations

import argparse
import json
import signal
import time
from pathlib import Path
from typing import Any, Callable, TextIO

from . import cli_probe

Compile = Callable[[argparse.Namespace, str, TextIO], Any]


def run(args: argparse.Namespace, out: TextIO, err: TextIO, compile_file: Compile) -> int:
    """`flowc run FILE | --plan DIR`: start, serve until SIGINT/SIGTERM, stop."""
    if bool(args.file) == bool(args.plan):
        err.write("flowc run: give a Flow FILE or --plan DIR (one of the two)\n")
        return 2
    if args.port is not None and not 1 <= args.port <= 65535:
        err.write(f"flowc run: --port {args.port} is not a TCP port (1 to 65535)\n")
        return 2
    # imported here: 47 ms (-X importtime) that every other command would pay
    from flowc.runtime.launcher import LaunchPlanError, prepare_run

    if args.plan:
        if args.in_process:
            err.write("flowc run: --in-process has no effect with --plan (the launch plan written "
                      "by `flowc build --target local` fixes the processes)\n")
        plan_dir = Path(args.plan)
        try:
            prepared = prepare_run(None, base_dir=plan_dir, plan_dir=plan_dir, port=args.port,
                                   out=err)
        except LaunchPlanError as exc:
            err.write(f"flowc run: error: {exc}\n")
            return 1
    else:
        result = compile_file(args, args.file, err)
        if result is None:
            return 1
        prepared = prepare_run(result.plan, base_dir=Path(args.file).resolve().parent,
                               in_process=args.in_process, port=args.port, compiled=result,
                               recompile=lambda: compile_file(args, args.file, err),  # `reload`
                               out=err)
    for note in prepared.notes:
        err.write(f"flowc run: {note}\n")
    err.flush()
    return _run_until_stopped(prepared, err, args.file)


def _run_until_stopped(prepared: Any, err: TextIO, flow_file: str | None) -> int:
    """Start, say where the Flow serves (also to `flowc post FILE`: `runstate`), supervise until
    SIGINT/SIGTERM, stop everything."""
    from flowc.runtime.launcher import LaunchError  # imported by `run` already

    from .runstate import forget, record

    def on_signal(signum: int, _frame: object) -> None:
        prepared.request_stop()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    recorded = None
    try:
        try:
            seconds = prepared.start()
        except LaunchError as exc:
            err.write(f"flowc run: error: {exc}\n")
            return 1
        if prepared.stop_requested.is_set():
            prepared.stop()
            return 0
        if flow_file:
            recorded = record(flow_file, prepared.address)
        err.write(f"flowc run: {prepared.flow} is ready in {seconds:.2f} s at "
                  f"{', '.join(prepared.addresses)} (Ctrl-C stops it)\n")
        for server, url in prepared.metrics.items():  # `monitoring: true`
            err.write(f"flowc run: metrics of {server} at {url}\n")
        err.flush()
        prepared.supervise()
        err.write("flowc run: stopping\n")
        err.flush()
        prepared.stop()
        return 0
    finally:
        forget(recorded)
        prepared.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def post(args: argparse.Namespace, out: TextIO, err: TextIO, compile_file: Compile) -> int:
    """`flowc post`: one request (or a stream) to a running Flow; its documents as JSON lines."""
    address = cli_probe.flow_address(args, "post", err, compile_file)
    if address is None:
        return 1
    # imported here: 84 ms (-X importtime; grpc, protobuf) that every other command would pay
    from flowc.runtime.client import Client, FlowcRequestError, Response
    from flowc.runtime.docs import generic_doc_type  # `flowc post` prints GenericDoc's fields
    from flowc.runtime.json_docs import doc_json, post_stream, read_inputs

    try:
        inputs = read_inputs(args.data)
        params = json.loads(args.parameters) if args.parameters else None
        if params is not None and not isinstance(params, dict):
            raise ValueError("--parameters must be a JSON object")
    except (ValueError, OSError) as exc:
        err.write(f"flowc post: {exc}\n")
        return 1
    if cli_probe.is_flow_file(args.target):
        _wait_until_serving(address, args.wait, err)
    if args.stream:
        return post_stream(Client(address=address), args.on, inputs, params, out, err)
    failed = False

    def on_error(response: Response, error: FlowcRequestError) -> None:
        nonlocal failed
        failed = True
        err.write(f"flowc post: error: {error}\n")
        if error.stacks:
            err.write("".join(error.stacks).rstrip() + "\n")

    client = Client(address=address)
    try:
        responses = client.post(args.on, inputs, parameters=params,
                                request_size=args.request_size, return_responses=True,
                                on_error=on_error, return_type=generic_doc_type())
    except (ConnectionError, TimeoutError) as exc:
        err.write(f"flowc post: {exc}\n")
        return 1
    finally:
        client.close()
    for response in responses:
        for doc in response.docs:
            out.write(doc_json(doc) + "\n")
        results = response.parameters.get("__results__")
        if results:
            out.write(json.dumps({"__results__": results}, sort_keys=True) + "\n")
    return 1 if failed else 0


def _wait_until_serving(address: str, seconds: float, err: TextIO) -> None:
    """A Flow file's gateway may still be starting (`flowc run flow.yml &` just before): wait up
    to `seconds` for its port to accept a connection; the post then says what went wrong."""
    import grpc  # with the client, imported by `post` already

    deadline = time.monotonic() + seconds
    told = False
    with grpc.insecure_channel(address) as channel:
        while True:
            try:
                grpc.channel_ready_future(channel).result(timeout=0.5)
                return
            except grpc.FutureTimeoutError:
                if time.monotonic() >= deadline:
                    return
                if not told:
                    err.write(f"flowc post: waiting up to {seconds:g} s for {address} to serve\n")
                    err.flush()
                    told = True
