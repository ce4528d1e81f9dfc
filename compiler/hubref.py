"""Jina Hub references (`jinahub://Name`, ...): the Hub no longer serves them, so `flowc validate`
refuses them (FC405) and `flowc migrate` rewrites them to what the user maps them to. The forms,
as hubble's `parse_hub_uri` reads them, live here once.
"""

from __future__ import annotations

import re

HUB = re.compile(r"(jinahub|jinahub\+docker|jinahub\+sandbox|jinaai|jinaai\+docker|"
                 r"jinaai\+sandbox)://(\S+)")


def hub_names(scheme: str, rest: str) -> tuple[list[str], str]:
    """The `--map` names a Hub reference may be mapped by, most specific first, and the
    reference as it may be shown (a secret replaced by `<secret>`).

    `jinahub[+docker|+sandbox]://NAME[:SECRET][/TAG]`, `jinaai[...]://USER/NAME[:TAG]`, as
    hubble's `parse_hub_uri` reads them."""
    if scheme.startswith("jinahub"):
        netloc, _, tag = rest.partition("/")
        name, _, secret = netloc.partition(":")
        shown = f"{scheme}://{name}" + (":<secret>" if secret else "") + (f"/{tag}" if tag
                                                                          else "")
        names = [f"{name}/{tag}"] if tag else []
        return names + [name], shown
    user, _, path = rest.partition("/")
    name, _, tag = path.partition(":")
    names = [f"{user}/{name}:{tag}"] if tag else []
    return names + [f"{user}/{name}", name], f"{scheme}://{rest}"


def hub_hint(uses: str, file: str) -> str | None:
    """FC405's hint for a Hub reference: the `flowc migrate` command that rewrites it."""
    found = HUB.fullmatch(uses.strip())
    if found is None:
        return None
    name = hub_names(found.group(1), found.group(2))[0][-1]
    return (f"the Hub no longer serves it: `flowc migrate {file} --map {name}=docker://REGISTRY/"
            f"IMAGE:TAG` rewrites it to an image (or map it to an Executor YAML or a class name)")
