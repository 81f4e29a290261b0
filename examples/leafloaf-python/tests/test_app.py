"""The FastAPI example end to end: uvicorn on loopback, `spoolctl run` beside it, the BigQuery emulator behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import httpx
import pytest

EXAMPLE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPOSITORY = os.path.dirname(os.path.dirname(EXAMPLE))
PROJECT = "test-project"
TABLES = ["user_search_events", "product_interaction_events", "cart_modification_events", "order_transaction_events"]


def spoolctl() -> str:
    for path in (os.environ.get("SPOOLCTL"), os.path.join(REPOSITORY, ".build", "debug", "spoolctl"),
                 os.path.join(REPOSITORY, ".build", "release", "spoolctl")):
        if path and os.path.exists(path):
            return path
    pytest.fail("spoolctl is not built: run `swift build` (or set SPOOLCTL)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def query(endpoint: str, sql: str) -> list:
    body = json.dumps({"query": sql, "useLegacySql": False, "timeoutMs": 60000}).encode()
    request = urllib.request.Request(f"{endpoint}/bigquery/v2/projects/{PROJECT}/queries", data=body,
                                     headers={"content-type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=120) as response:
        answer = json.load(response)
    return [[cell["v"] for cell in row["f"]] for row in answer.get("rows", [])]


def pending(config: str) -> int:
    result = subprocess.run([spoolctl(), "status", "--config", config, "--format", "json"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode in (0, 2), result.stderr
    return sum(table["pendingRows"] for table in json.loads(result.stdout)["tables"])


def test_the_seed_service_appends_through_spool_and_spoolctl_run_delivers_every_event(tmp_path):
    endpoint = os.environ.get("SPOOL_EMULATOR_URL") or pytest.fail("SPOOL_EMULATOR_URL is not set (run scripts/test)")
    dataset = f"leafloaf_py_{uuid.uuid4().hex[:10]}"
    config = tmp_path / "spool.json"
    config.write_text(json.dumps({
        "spool": {"path": str(tmp_path / "spool.db")},
        "destination": {"project": PROJECT, "dataset": dataset, "endpoint": endpoint},
        "uploader": {"credentials": "none"},
        "schemas": {"directory": os.path.join(REPOSITORY, "examples", "leafloaf", "schemas")},
    }))
    created = subprocess.run([spoolctl(), "tables", "create", "--config", str(config)], capture_output=True,
                             text=True, timeout=300)
    assert created.returncode == 0, created.stdout + created.stderr

    port = free_port()
    environment = {**os.environ, "SPOOL_CONFIG": str(config)}
    server_log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app:app", "--app-dir", EXAMPLE, "--host", "127.0.0.1", "--port", str(port)],
        env=environment, stdout=server_log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    user = f"u-{uuid.uuid4().hex[:8]}"
    uploader = None
    try:
        # The application creates the spool file when it starts; spoolctl never creates one, so it starts second.
        wait_until(lambda: httpx.get(f"{base}/docs").status_code == 200, 60, "uvicorn to answer")
        uploader = subprocess.Popen([spoolctl(), "run", "--config", str(config)], stdout=subprocess.DEVNULL,
                                    stderr=open(tmp_path / "uploader.log", "w"))
        with httpx.Client(base_url=base, timeout=30) as client:
            for text in ["oat milk", "bread", "apples"]:
                answer = client.post("/search", json={"user_id": user, "session_id": "s1", "query": text})
                assert answer.status_code == 200 and answer.json()["results"]
            assert client.post("/interactions", json={"user_id": user, "session_id": "s1", "signal_type": "click",
                                                      "sku": "OAT-001", "position": 1}).status_code == 200
            for sku in ["OAT-001", "BRD-008"]:
                assert client.post("/cart", json={"user_id": user, "session_id": "s1", "action": "add", "sku": sku,
                                                  "quantity": 2}).status_code == 200
            placed = client.post("/orders", json={"user_id": user, "session_id": "s1", "discount_code": "WELCOME",
                                                  "delivery_method": "standard"})
            assert placed.status_code == 200 and placed.json()["items"] == 2
            # Personalization learned in memory: oat milk's category leads the next search.
            preferences = client.get(f"/users/{user}/preferences").json()["preferences"]
            assert max(preferences, key=preferences.get) == "dairy_alternatives"
            ranked = client.post("/search", json={"user_id": user, "query": "milk"}).json()
            assert ranked["personalized"] and ranked["results"][0]["category"] == "dairy_alternatives"

        try:
            wait_until(lambda: pending(str(config)) == 0, 120, "spoolctl run to deliver every event")
        except AssertionError as timeout:
            status = subprocess.run([spoolctl(), "status", "--config", str(config)], capture_output=True, text=True)
            raise AssertionError(f"{timeout}\n{status.stdout}\n{(tmp_path / 'uploader.log').read_text()[-3000:]}") from None
        counts = {table: query(endpoint, f"SELECT count(*) FROM `{PROJECT}.{dataset}.{table}` WHERE user_id = '{user}'")[0][0]
                  for table in TABLES}
        assert counts == {"user_search_events": "4", "product_interaction_events": "1",
                          "cart_modification_events": "2", "order_transaction_events": "1"}, counts
        search = query(endpoint, f"SELECT query, results_count, response_time_ms, categories FROM "
                                 f"`{PROJECT}.{dataset}.user_search_events` WHERE user_id = '{user}' AND query = 'oat milk'")
        assert search[0][0] == "oat milk" and int(search[0][1]) >= 1 and int(search[0][2]) >= 0
        dead = subprocess.run([spoolctl(), "dead-letters", "list", "--config", str(config), "--format", "json"],
                              capture_output=True, text=True, timeout=60)
        assert dead.returncode == 0 and json.loads(dead.stdout) == [], dead.stdout
    finally:
        uploader_code = None
        if uploader is not None:
            uploader.send_signal(signal.SIGTERM)
            uploader_code = uploader.wait(timeout=60)
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    assert uploader_code == 0, (tmp_path / "uploader.log").read_text()
