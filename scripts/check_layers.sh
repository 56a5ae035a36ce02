#!/usr/bin/env bash
# Fails when a file under src/ reaches into a layer it must not know (issue 12).
#   scripts/check_layers.sh [source-dir] [object-dir]
# Three checks:
#   1. includes: every `#include "layer/..."` line of src/**/*.{c,h,S}, and
#      no include of a core header but core/core.h from outside src/core;
#   2. calls (when object-dir is given, e.g. build/CMakeFiles/cio_static.dir/src):
#      every symbol an object file uses that another layer's object defines
#      (what an include check cannot see, e.g. a call to a public function
#      defined in another layer).
# The layers, each allowed to use only itself and those listed:
#   base, arch       leaves
#   poll             base (backends see only poll/poll.h and base)
#   core             base, arch, poll (poll/poll.h: the backend contract)
#   compose, sync, net, os          core, base
#   process          net, os, compose, sync, core, base (a child's pipes are streams)
#   tls              net and what net's peers may use
#   http, redis      tls, net, compose, sync, os, core, base
#   pg               net, compose, sync, os, core, base (libpq's own socket)
#   runner           everything below it but the app layers (cio_run: a loop, a main task, signals)
set -euo pipefail
source=${1:-.}
objects=${2:-}

declare -A allowed=(
    [base]=""
    [arch]=""
    [poll]="base"
    [core]="base arch poll"
    [compose]="core base"
    [sync]="core base"
    [net]="core base"
    [os]="core base"
    [process]="net os compose sync core base"
    [tls]="net compose sync os core base"
    [http]="tls net compose sync os core base"
    [redis]="tls net compose sync os core base"
    [pg]="net compose sync os core base"
    [runner]="process compose sync net os core base arch"
)

# Known breaks: "file layer" pairs allowed for now. Empty, and to stay so:
# issue 12 removed the last two (net's name resolution now runs on the core's
# thread pool; a process's pipes moved with it to src/process).
known_breaks=()
declare -A known used_known
for entry in "${known_breaks[@]}"; do known[$entry]=1; done

failures=0
# check FILE FROM-LAYER TO-LAYER WHAT
check() {
    local file=$1 from=$2 to=$3 what=$4
    [[ "$from" == "$to" ]] && return 0
    [[ -v "allowed[$from]" ]] || { echo "layers: $file is in unknown layer '$from' (add it to scripts/check_layers.sh)"; failures=$((failures + 1)); return 0; }
    [[ " ${allowed[$from]} " == *" $to "* ]] && return 0
    if [[ -v "known[$file $to]" ]]; then
        used_known[$file $to]=1
        return 0
    fi
    echo "layers: $file ($from) uses $to: $what"
    failures=$((failures + 1))
}

layer_of() { local rel=${1#src/}; echo "${rel%%/*}"; }

# 1. includes
cd "$source"
while IFS=: read -r file line text; do
    target=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([a-z_]+)\/.*/\1/' <<<"$text")
    [[ "$target" == "cio" ]] && continue # the public headers: anyone may include them
    check "$file" "$(layer_of "$file")" "$target" "line $line: ${text%%/\**}"
done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_]+/' src --include='*.c' --include='*.h' --include='*.S' | sort)

# 1b. the core's private headers: outside src/core only core/core.h may be
# included (struct cio_task and struct cio_loop are the core's own; the other
# layers use core.h's accessors).
while IFS=: read -r file line text; do
    [[ "$(layer_of "$file")" == core ]] && continue
    echo "layers: $file line $line includes a header private to src/core: ${text%%/\**}"
    failures=$((failures + 1))
done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"core/' src --include='*.c' --include='*.h' |
    grep -vE '"core/core\.h"' | sort)

# 2. calls and data, from the object files
if [[ -n "$objects" ]]; then
    if [[ ! -d "$objects" || -z "$(find "$objects" -name '*.o' -print -quit)" ]]; then
        echo "layers: no object files under $objects (build the library first)"
        exit 1
    fi
    # One nm over every object: "object: type symbol" lines (an undefined
    # symbol has no value column).
    # Only objects whose source still exists: a build dir keeps the objects
    # of files since moved or deleted, which no longer count.
    objs=()
    while read -r obj; do
        rel=${obj#"$objects"/}
        [[ -f "src/${rel%.o}" ]] && objs+=("$obj")
    done < <(find "$objects" -name '*.o' | sort)
    nm -A -g "${objs[@]}" >"${TMPDIR:-/tmp}/cio-layers.$$" 2>/dev/null
    trap 'rm -f "${TMPDIR:-/tmp}/cio-layers.$$"' EXIT
    # "file layer symbol target-layer" for each use of another object's symbol.
    while read -r file layer symbol target; do
        check "$file" "$layer" "$target" "calls or reads $symbol"
    done < <(awk -v prefix="$objects/" '
        { object = $1; sub(/:$/, "", object); sub(prefix, "", object)
          layer = object; sub(/\/.*/, "", layer); file = "src/" object; sub(/\.o$/, "", file) }
        NF == 3 && $2 != "U" { defined[$3] = layer; next }
        $(NF - 1) == "U" { uses[++n] = file " " layer " " $NF }
        END { for (i = 1; i <= n; i++) { split(uses[i], u, " ")
                if (u[3] in defined) print uses[i], defined[u[3]] } }' "${TMPDIR:-/tmp}/cio-layers.$$")
fi

# (Only with the objects: an include check alone cannot see the call-only breaks.)
[[ -n "$objects" ]] && for entry in "${known_breaks[@]}"; do
    [[ -v "used_known[$entry]" ]] || echo "layers: note: the known break '$entry' is gone; remove it from scripts/check_layers.sh"
done
if ((failures)); then
    echo "layers: $failures break(s) of the layering (see docs/internals.md); fix them, do not extend the allow-list"
    exit 1
fi
echo "layers: ok"
