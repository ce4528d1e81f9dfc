#!/bin/sh
# Run a command in a network namespace of its own with only loopback up, so that nothing it
# starts (Jina's processes: a public-IP lookup when a Flow starts, Hub look-ups on export) can
# reach another machine; those calls fail at once instead of waiting. Everything the command
# starts shares the namespace, so flowc and Jina reach each other on 127.0.0.1.
# As root: `unshare -n`; otherwise an unprivileged user namespace (`unshare -rn`). Where neither
# is allowed (a container without the capability), the command runs as it is, and says so.
# usage: tests/jina/netns_run.sh CMD [ARGS...]
set -eu
inner='ip link set lo up && exec "$@"'
if unshare -n true 2>/dev/null; then
    exec unshare -n sh -c "$inner" netns_run "$@"
elif unshare -rn true 2>/dev/null; then
    exec unshare -rn sh -c "$inner" netns_run "$@"
fi
echo "netns_run.sh: no network namespace allowed here; running without one" >&2
exec "$@"
