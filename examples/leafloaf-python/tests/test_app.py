"""The FastAPI example end to end: uvicorn on loopback, `spoolctl run` beside it, the BigQuery emulator behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import uuid

import httpx

EXAMPLE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPOSITORY = os.path.dirname(os.path.dirname(EXAMPLE))
sys.path.insert(0, os.path.join(REPOSITORY, "python", "tests"))
from spool_test_support import (PROJECT, emulator_url, pending_rows, query, run_spoolctl, spoolctl_path,  # noqa: E402
                                unique_dataset, wait_until)

TABLES = ["user_search_events", "product_interaction_events", "cart_modification_events", "order_transaction_events"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    try:
        return httpx.get(url).status_code == 200
    except httpx.HTTPError:  # not listening yet
        return False


def test_the_seed_service_appends_through_spool_and_spoolctl_run_delivers_every_event(tmp_path):
    endpoint = emulator_url()
    dataset = unique_dataset("leafloaf_py")
    config = tmp_path / "spool.json"
    config.write_text(json.dumps({
        "spool": {"path": str(tmp_path / "spool.db")},
        "destination": {"project": PROJECT, "dataset": dataset, "endpoint": endpoint},
        "uploader": {"credentials": "none"},
        "schemas": {"directory": os.path.join(REPOSITORY, "examples", "leafloaf", "schemas")},
    }))
    run_spoolctl("tables", "create", "--config", str(config))

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
        wait_until(lambda: answers(f"{base}/docs"), 60, "uvicorn to answer")
        uploader = subprocess.Popen([spoolctl_path(), "run", "--config", str(config)], stdout=subprocess.DEVNULL,
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
            wait_until(lambda: pending_rows(str(tmp_path / "spool.db")) == 0, 120, "spoolctl run to deliver every event")
        except AssertionError as timeout:
            status = run_spoolctl("status", "--config", str(config), check=False)
            raise AssertionError(f"{timeout}\n{status.stdout}\n{(tmp_path / 'uploader.log').read_text()[-3000:]}") from None
        counts = {table: query(endpoint, f"SELECT count(*) FROM `{PROJECT}.{dataset}.{table}` WHERE user_id = '{user}'")[0][0]
                  for table in TABLES}
        assert counts == {"user_search_events": "4", "product_interaction_events": "1",
                          "cart_modification_events": "2", "order_transaction_events": "1"}, counts
        search = query(endpoint, f"SELECT query, results_count, response_time_ms, categories FROM "
                                 f"`{PROJECT}.{dataset}.user_search_events` WHERE user_id = '{user}' AND query = 'oat milk'")
        assert search[0][0] == "oat milk" and int(search[0][1]) >= 1 and int(search[0][2]) >= 0
        dead = run_spoolctl("dead-letters", "list", "--config", str(config), "--format", "json")
        assert json.loads(dead.stdout) == [], dead.stdout
    finally:
        uploader_code = None
        if uploader is not None:
            uploader.send_signal(signal.SIGTERM)
            uploader_code = uploader.wait(timeout=60)
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    assert uploader_code == 0, (tmp_path / "uploader.log").read_text()
