"""Helpers shared by the Python tests and the FastAPI example's test: the repository's spoolctl, spool files read
through SQLite, the suite's BigQuery emulator. (A plain module, imported by conftest.py and by
examples/leafloaf-python/tests, which puts this folder on sys.path.)"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
import urllib.request
import uuid

import pytest

REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROJECT = "test-project"


def spoolctl_path() -> str:
    """$SPOOLCTL, else the debug build (scripts/test builds it), else the release build."""
    for path in (os.environ.get("SPOOLCTL"), os.path.join(REPOSITORY, ".build", "debug", "spoolctl"),
                 os.path.join(REPOSITORY, ".build", "release", "spoolctl")):
        if path and os.path.exists(path):
            return path
    pytest.fail("spoolctl is not built: run `swift build` (or set SPOOLCTL)")


def pending_rows(path: str) -> int:
    """Rows in a spool file's outbox, read through SQLite itself."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT count(*) FROM outbox").fetchone()[0]
    finally:
        connection.close()


def payloads(path: str) -> list:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [row[0] for row in connection.execute("SELECT payload FROM outbox ORDER BY id")]
    finally:
        connection.close()


def emulator_url() -> str:
    url = os.environ.get("SPOOL_EMULATOR_URL")
    if not url:
        pytest.fail("SPOOL_EMULATOR_URL is not set: run the tests through scripts/test, which starts the emulator")
    return url


def unique_dataset(prefix: str = "py") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def write_config(folder: str, name: str, body: dict) -> str:
    path = os.path.join(folder, name)
    with open(path, "w") as file:
        json.dump(body, file)
    return path


def run_spoolctl(*arguments: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([spoolctl_path(), *arguments], capture_output=True, text=True, timeout=300,
                            env={**os.environ, **(env or {})})
    if check and result.returncode != 0:
        raise AssertionError(f"spoolctl {' '.join(arguments)} exited {result.returncode}: {result.stderr}")
    return result


def query(endpoint: str, sql: str) -> list:
    """The rows of a query against the emulator (jobs.query), each a list of cell values."""
    body = json.dumps({"query": sql, "useLegacySql": False, "timeoutMs": 60000, "maxResults": 1000000}).encode()
    request = urllib.request.Request(f"{endpoint}/bigquery/v2/projects/{PROJECT}/queries", data=body,
                                     headers={"content-type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=120) as response:
        answer = json.load(response)
    assert answer.get("jobComplete", True), "the emulator's query did not complete"
    assert "pageToken" not in answer, "more rows than one page"
    return [[cell["v"] for cell in row["f"]] for row in answer.get("rows", [])]


def query_column(endpoint: str, dataset: str, table: str, column: str = "event_id") -> list:
    """Every value of `column` in the emulator's table."""
    return [row[0] for row in query(endpoint, f"SELECT {column} FROM `{PROJECT}.{dataset}.{table}`")]


def wait_until(condition, timeout: float, what: str):
    """Polls `condition` until it is true; an OSError (e.g. a server not listening yet) counts as not yet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
