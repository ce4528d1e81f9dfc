"""Container image references (`uses: docker://...`, `image:`), in Docker's own grammar.

The grammar is the one Docker and every OCI registry client parse (distribution's
`reference` package):

    reference  := name [ ":" tag ] [ "@" digest ]
    name       := [ domain "/" ] path          (at most 255 characters)
    domain     := host [ ":" port ]            (a host is DNS labels, or [IPv6])
    path       := component ( "/" component )*
    component  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
    tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
    digest     := algorithm ":" hex            (sha256: 64 hex digits, sha512: 128)

Upper case is only ever valid in the domain, which Docker recognises in the first component
when it holds a `.` or a `:`, is `localhost`, or has an upper-case letter. Both the compiler
(every `flowc validate`) and the targets (which also insist on a pinned tag) use this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ImageRef", "parse_image", "image_problem"]

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_LABEL = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?"
_REFERENCE = re.compile(
    rf"(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_COMPONENT}(?:/{_COMPONENT})*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>(?P<algorithm>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*)"
    r":(?P<hex>[0-9a-fA-F]{32,})))?", re.ASCII)
_DIGEST_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}
_MAX_NAME = 255


@dataclass(frozen=True)
class ImageRef:
    name: str  # domain and path
    tag: str | None
    digest: str | None


def parse_image(text: str) -> ImageRef | None:
    """The parts of a valid reference, or None."""
    match = _REFERENCE.fullmatch(text)
    if match is None:
        return None
    domain, path = match["domain"], match["path"]
    if domain is not None and not _is_domain(domain):  # `team/app`: `team` is part of the path
        path = f"{domain}/{path}"
        domain = None
    name = f"{domain}/{path}" if domain else path
    if len(name) > _MAX_NAME:
        return None
    algorithm = (match["algorithm"] or "").lower()
    if algorithm in _DIGEST_LENGTH and len(match["hex"]) != _DIGEST_LENGTH[algorithm]:
        return None
    return ImageRef(name, match["tag"], match["digest"])


def _is_domain(first: str) -> bool:
    return "." in first or ":" in first or first == "localhost" or first.lower() != first


def image_problem(text: str) -> str | None:
    """Why `text` is not an image reference Docker accepts, in a few words (None when it is)."""
    if parse_image(text) is not None:
        return None
    if not text:
        return "there is no image name"
    if any(c.isspace() for c in text):
        return "it contains white space"
    name = re.split(r"[:@]", text.rsplit("/", 1)[-1], maxsplit=1)[0]
    if name != name.lower():
        return "repository names are lower case"
    return "it does not follow Docker's `name[:tag][@digest]` grammar"


IMAGE_HINT = ("write `name[:tag]`, `registry.example.com/team/name:tag` or `name@sha256:` and 64 "
              "hex digits, the repository in lower case")
