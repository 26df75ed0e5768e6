"""Contract fuzzing inside `make test`: a bounded, seeded schemathesis pass along the spec's
links (its stateful phase), beside the pass over each operation in test_schemathesis.py."""

import subprocess
import sys

from tests.support import ROOT, Keys, Served, tool_environment


def test_workflows_along_the_links_keep_the_contract(server: Served, keys: Keys) -> None:
    # Through the command line: what a link yields depends on what the server holds, which
    # Hypothesis' own state machine runner reports as flaky generation; schemathesis' runner
    # is built for that.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            str(ROOT / "openapi.yaml"),
            "--url",
            server.api_url,
            "--header",
            f"Authorization: Bearer {keys.alice}",
            "--checks",
            "all",
            # Replaced by their variants in tests/contract/hooks.py, which --checks all includes.
            "--exclude-checks",
            "ensure_resource_availability,positive_data_acceptance",
            "--phases",
            "stateful",
            "--max-examples",
            "40",
            "--seed",
            "1",
            "--workers",
            "1",
        ],  # fmt: skip
        cwd=ROOT,
        env=tool_environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-20_000:] + result.stderr
    assert "API Links:" in result.stdout
