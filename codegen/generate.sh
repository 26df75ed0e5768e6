#!/usr/bin/env bash
# Generates the client package and the pydantic models from openapi.yaml (or SPEC) into
# OUT_DIR/client and OUT_DIR/models. `make generate` writes generated/; `make check-generated`
# writes a temporary folder and compares; tests/compat/test_previous_client.py generates the
# previous release's client from its frozen spec. The tools come pinned from .venv, so output is
# byte-identical.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: codegen/generate.sh OUT_DIR [SPEC]}
spec=$(realpath "${2:-$root/openapi.yaml}")
export PATH="$root/.venv/bin:$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The spec file, not the served /openapi.json: that one is dereferenced. Templates in
# codegen/templates replace the generator's own of the same name (the rest are its own).
openapi-python-client generate --path "$spec" --config "$root/codegen/client.yaml" \
    --custom-template-path "$root/codegen/templates" \
    --meta setup --output-path "$work/client" >/dev/null
rm -rf "$work/client/.ruff_cache"

# Its settings are in codegen/pyproject.toml, which it reads from the folder it runs in.
mkdir -p "$work/models"
(cd "$root/codegen" && datamodel-codegen --input "$spec" --output "$work/models/__init__.py")

mkdir -p "$out"
rm -rf "$out/client" "$out/models"
mv "$work/client" "$work/models" "$out/"
