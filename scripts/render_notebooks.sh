#!/usr/bin/env bash
# Execute the lecture's notebooks and render them to HTML (outputs, plots and graphs included).
#
#   scripts/render_notebooks.sh                 # full settings (a few minutes per notebook on a laptop CPU)
#   scripts/render_notebooks.sh --quick         # the small settings CI uses (CHAINRULE_QUICK=1), seconds each
#   scripts/render_notebooks.sh --out DIR [NAME.ipynb ...]   # another folder; only the notebooks named
#
# Writes docs/notebooks/<name>.html (or DIR/<name>.html). Needs the notebooks extra:
# pip install -e ".[notebooks]". The committed notebooks stay without outputs; this does not touch them.
set -euo pipefail
caller=$(pwd)
cd "$(dirname "$0")/.."

out=docs/notebooks
names=()
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) export CHAINRULE_QUICK=1 ;;
        --out) out="$2"; [[ "$out" = /* ]] || out="$caller/$out"; shift ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        -*) echo "render_notebooks.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) names+=("notebooks/$(basename "$1")") ;;
    esac
    shift
done
[ ${#names[@]} -gt 0 ] || names=(notebooks/*.ipynb)

# the active virtual environment's Python, else the repository's .venv, else python3 (or $PYTHON)
py=${PYTHON:-}
if [ -z "$py" ]; then
    if [ -z "${VIRTUAL_ENV:-}" ] && [ -x .venv/bin/python ]; then py=.venv/bin/python; else py=python3; fi
fi
"$py" -c "import nbconvert, ipykernel, chainrule" 2>/dev/null || {
    echo "render_notebooks.sh: $py lacks nbconvert, ipykernel or chainrule; pip install -e \".[notebooks]\"" >&2
    exit 2
}

mkdir -p "$out"
executed=$(mktemp -d)
trap 'rm -rf "$executed"' EXIT
for nb in "${names[@]}"; do
    [ -f "$nb" ] || { echo "render_notebooks.sh: $nb: no such notebook" >&2; exit 2; }
    start=$(date +%s)
    # run in a fresh kernel, in the notebook's folder; a failing cell stops the script
    "$py" -m nbconvert --execute --to notebook --ExecutePreprocessor.timeout=1800 --output-dir "$executed" "$nb"
    # then to HTML; coalescing the streams leaves a text progress bar's last state, as a terminal shows it
    "$py" -m nbconvert --to html --CoalesceStreamsPreprocessor.enabled=True --output-dir "$out" "$executed/$(basename "$nb")"
    echo "$nb: $(( $(date +%s) - start )) s -> $out/$(basename "${nb%.ipynb}").html"
done
