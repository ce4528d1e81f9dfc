"""`flowc-runtime` (= `python -m flowc.runtime`): the one command every artifact runs.

A dispatch table of subcommands, each imported only when chosen so that `health` stays light and
`worker` does not pay for the gateway's imports. Add a subcommand with one line.
"""

from __future__ import annotations

import importlib
import sys
from typing import Sequence

COMMANDS: dict[str, str] = {
    "worker": "flowc.runtime.worker:main",
    "health": "flowc.runtime.health:main",
    "head": "flowc.runtime.head:main",
    "gateway": "flowc.runtime.gateway:main",
}

USAGE = """usage: flowc-runtime COMMAND [ARGS...]

commands:
{commands}

Run `flowc-runtime COMMAND --help` for a command's options."""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE.format(commands="\n".join(f"  {name}" for name in sorted(COMMANDS))))
        return 0 if args else 2
    name, rest = args[0], args[1:]
    target = COMMANDS.get(name)
    if target is None:
        print(f"flowc-runtime: unknown command {name!r} (commands: {', '.join(sorted(COMMANDS))})",
              file=sys.stderr)
        return 2
    module_name, func_name = target.split(":")
    return int(getattr(importlib.import_module(module_name), func_name)(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
