"""What a coverage run measures, and what it no longer measures for nothing: tools started
without coverage (tests.support.tool_environment), and coverage's tracer paused in the thread
of a test marked client_only (tests/client_only.py), which this module fences."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import coverage
import pytest

from tests.support import COVERAGE_CHILDREN, ROOT, tool_environment

PROBE = """
def served():
    total = 0
    for step in range(3):
        total += step
    return total


def client():
    answer = 1
    if answer:
        answer += 1
    return answer


def after():
    found = []
    for step in range(2):
        if step:
            found.append(step)
    return found
"""

TESTS = """
import threading

import pytest

import probe


{mark}
def test_a_client_of_a_server_in_a_thread():
    thread = threading.Thread(target=probe.served)
    thread.start()
    thread.join()
    probe.client()


def test_the_next_test():
    probe.after()
"""

CLIENT_LINES = next(
    range(node.body[0].lineno, (node.end_lineno or 0) + 1)
    for node in ast.parse(PROBE).body
    if isinstance(node, ast.FunctionDef) and node.name == "client"
)
"""The lines of probe.client()'s body."""


def _measured(pytester: pytest.Pytester, mark: str) -> set[tuple[int, int]]:
    """The arcs of probe.py measured by a coverage run of TESTS with the mark given."""
    (pytester.path / "probe.py").write_text(PROBE)
    pytester.makepyfile(test_probe=TESTS.format(mark=mark))
    data_file = pytester.path / f".coverage-{len(mark)}"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "coverage",
            "run",
            "--branch",
            "--source=probe",
            f"--data-file={data_file}",
            "-m",
            "pytest",
            "-p",
            "tests.client_only",
            "-p",
            "no:cacheprovider",
            "-q",
            "test_probe.py",
        ],  # fmt: skip
        cwd=pytester.path,
        # A coverage run of its own, not a part of this one's: tests.client_only from ROOT, and
        # no other plugin (loading every installed one took most of its time).
        env=tool_environment(PYTHONPATH=str(ROOT), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data = coverage.CoverageData(basename=str(data_file))
    data.read()
    return set(data.arcs(str((pytester.path / "probe.py").resolve())) or ())


def test_a_client_only_tests_thread_is_not_traced_and_the_servers_thread_and_later_tests_are(
    pytester: pytest.Pytester,
) -> None:
    traced = _measured(pytester, mark="")
    paused = _measured(pytester, mark="@pytest.mark.client_only")
    # Unpaused, the run measures the client's lines too: the probe would show nothing otherwise.
    client = {arc for arc in traced if any(abs(line) in CLIENT_LINES for line in arc)}
    assert {line for arc in client for line in arc if line > 0} == set(CLIENT_LINES)
    # Paused, it measures all of it but the client's, arc for arc: the server's thread, the
    # test's thread again in the next test, and no arc made up by a tracer out of step.
    assert paused == traced - client


def test_a_client_only_test_whose_thread_runs_server_impl_fails_the_check(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_marked="""
        import pytest

        from server_impl.settings import Settings


        @pytest.mark.client_only
        def test_client_only_in_name_only():
            Settings()


        def test_unmarked():
            Settings()
        """
    )
    result = pytester.runpytest("-p", "tests.client_only", "--check-client-only")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*marked client_only, yet its thread ran server_impl*"])


def test_a_tool_started_with_tool_environment_is_not_measured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a coverage run with patch = ["subprocess"] (pyproject.toml) hands every child, from
    # one of its own: a Coverage object made in this process lost what this process measured.
    (tmp_path / "rc").write_text("[run]\npatch = subprocess\n")
    (tmp_path / "handed.py").write_text(f"import os; print(os.environ['{COVERAGE_CHILDREN}'])")
    own = tool_environment()
    own.pop("COVERAGE_FILE", None)  # its data in tmp_path, not among this run's
    handed = subprocess.run(
        [sys.executable, "-m", "coverage", "run", f"--rcfile={tmp_path / 'rc'}", "handed.py"],
        cwd=tmp_path,
        env=own,
        capture_output=True,
        text=True,
        check=True,
    )
    monkeypatch.setenv(COVERAGE_CHILDREN, handed.stdout.strip())
    probe = "import coverage; print(coverage.Coverage.current() is not None)"

    def measured(environment: dict[str, str]) -> bool:
        result = subprocess.run(
            [sys.executable, "-c", probe], env=environment, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        return {"True": True, "False": False}[result.stdout.strip()]

    assert measured(dict(os.environ))
    assert not measured(tool_environment())
