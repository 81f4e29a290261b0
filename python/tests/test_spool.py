"""The Python module over the C ABI: appends, bad input, threads, processes, the GIL."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import threading
import time

import pytest

import spool
from spool_test_support import REPOSITORY, payloads, pending_rows, write_config

SEARCH = {"event_id": "e1", "user_id": "u1", "session_id": "s1", "query": "oat milk", "intent": "product_search",
          "alpha_value": 0.5, "results_count": 12, "categories": "[\"dairy\"]", "response_time_ms": 4,
          "timestamp": "2026-11-29T12:00:00.000000"}


def test_append_commits_a_dict_as_compact_json_and_returns_its_insert_id(tmp_path):
    path = str(tmp_path / "spool.db")
    with spool.Spool(path) as events:
        insert_id = events.append("user_search_events", SEARCH)
        text_id = events.append("user_search_events", '{"event_id": "e2"}')
        bytes_id = events.append("user_search_events", b'{"event_id":"e3"}')
    assert len(insert_id) == 36 and len({insert_id, text_id, bytes_id}) == 3
    assert payloads(path) == [json.dumps(SEARCH, separators=(",", ":")), '{"event_id": "e2"}', '{"event_id":"e3"}']
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"


def test_a_configuration_file_opens_the_spool_it_names(tmp_path):
    config = write_config(str(tmp_path), "spool.json", {"spool": {"path": "events.db"},
                                                       "destination": {"project": "p", "dataset": "d"}})
    with spool.Spool(config) as events:
        events.append("cart_modification_events", {"event_id": "c1"})
    assert pending_rows(str(tmp_path / "events.db")) == 1
    os.environ["SPOOL_CONFIG"] = config
    try:
        with spool.Spool.from_config() as events:
            events.append("cart_modification_events", {"event_id": "c2"})
    finally:
        del os.environ["SPOOL_CONFIG"]
    assert pending_rows(str(tmp_path / "events.db")) == 2


@pytest.mark.parametrize("table, event, error", [
    ("user_search_events", '{"query": "secret-value"', spool.InvalidJSON),
    ("user_search_events", "not json secret-value", spool.InvalidJSON),
    ("user_search_events", {"score": float("nan")}, spool.InvalidJSON),
    ("user_search_events", '["secret-value"]', spool.NotAnObject),
    ("user_search_events", '"secret-value"', spool.NotAnObject),
    ("leafloaf_analytics.user_search_events", {"query": "secret-value"}, spool.InvalidTableName),
    ("user_search_events;drop", {"query": "secret-value"}, spool.InvalidTableName),
    ("", {"query": "secret-value"}, spool.InvalidTableName),
])
def test_bad_input_raises_its_typed_error_and_writes_nothing(tmp_path, table, event, error):
    path = str(tmp_path / "spool.db")
    with spool.Spool(path) as events:
        events.append("user_search_events", {"event_id": "before"})
        with pytest.raises(error) as raised:
            events.append(table, event)
    assert isinstance(raised.value, spool.SpoolError)
    assert raised.value.code == error.code and raised.value.name == error.name
    assert "secret-value" not in str(raised.value)
    assert pending_rows(path) == 1


def test_an_unknown_table_in_strict_mode_raises_unknown_table_and_writes_nothing(tmp_path):
    config = write_config(str(tmp_path), "strict.json", {
        "spool": {"path": "strict.db", "strictSchemas": True},
        "destination": {"project": "p", "dataset": "d"},
        "schemas": {"directory": os.path.join(REPOSITORY, "examples", "leafloaf", "schemas")},
    })
    with spool.Spool(config) as events:
        with pytest.raises(spool.UnknownTable):
            events.append("user_events", {"event_id": "e1"})
        with pytest.raises(spool.SchemaViolation):
            events.append("user_search_events", {"event_id": "e1", "results_count": "many"})
    assert pending_rows(str(tmp_path / "strict.db")) == 0


def test_a_full_spool_raises_spool_full_and_writes_nothing(tmp_path):
    config = write_config(str(tmp_path), "capped.json", {
        "spool": {"path": "capped.db", "maxPendingRows": 5, "capPolicy": "reject"},
        "destination": {"project": "p", "dataset": "d"},
    })
    with spool.Spool(config) as events:
        for number in range(5):
            events.append("user_search_events", {"n": number})
        with pytest.raises(spool.SpoolFull):
            events.append("user_search_events", {"n": 5})
    assert pending_rows(str(tmp_path / "capped.db")) == 5


def test_a_closed_spool_raises_closed_and_close_is_idempotent(tmp_path):
    path = str(tmp_path / "spool.db")
    events = spool.Spool(path)
    events.append("t", {"n": 1})
    events.close()
    events.close()
    assert events.closed
    with pytest.raises(spool.Closed):
        events.append("t", {"n": 2})
    assert pending_rows(path) == 1


def test_files_spool_must_not_touch_raise_typed_errors(tmp_path):
    text = tmp_path / "notes.db"
    text.write_text("a text file, not a database\n" * 200)
    with pytest.raises(spool.NotADatabase):
        spool.Spool(str(text))
    assert text.read_text() == "a text file, not a database\n" * 200
    with pytest.raises(spool.CannotOpen):
        spool.Spool(str(tmp_path / "missing-folder" / "spool.db"))
    bad = write_config(str(tmp_path), "bad.json", {"spool": {"path": "x.db", "maxPendingRows": "many"}})
    with pytest.raises(spool.InvalidConfiguration):
        spool.Spool(bad)


def test_an_unusable_credentials_file_raises_credentials_not_invalid_configuration(tmp_path):
    missing = str(tmp_path / "no-such-key.json")
    config = write_config(str(tmp_path), "key.json", {"spool": {"path": "uploader.db"},
                                                      "destination": {"project": "p", "dataset": "d"},
                                                      "uploader": {"credentials": missing}})
    with spool.Spool(config) as events:
        with pytest.raises(spool.Credentials) as raised:
            events.start_uploader()
        assert raised.value.code == 23 and raised.value.name == "credentials" and missing in raised.value.message


def test_appends_from_eight_threads_at_once_all_commit(tmp_path):
    path = str(tmp_path / "spool.db")
    ids, failures = [], []
    with spool.Spool(path) as events:
        def worker(number):
            try:
                mine = [events.append("user_search_events", {**SEARCH, "event_id": f"{number}-{i}"}) for i in range(500)]
                ids.extend(mine)
            except Exception as error:  # reported below: an assertion in a thread would be lost
                failures.append(error)
        threads = [threading.Thread(target=worker, args=(number,)) for number in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    assert len(ids) == 4000 and len(set(ids)) == 4000
    assert pending_rows(path) == 4000


def test_close_while_threads_append_stops_them_with_closed_and_keeps_every_acknowledged_event(tmp_path):
    path = str(tmp_path / "spool.db")
    events = spool.Spool(path)
    acknowledged, endings = [], []

    def worker():
        try:
            while True:
                acknowledged.append(events.append("t", {"n": 1}))
        except spool.SpoolError as error:
            endings.append(type(error))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    events.close()
    for thread in threads:
        thread.join(timeout=30)
    assert endings == [spool.Closed] * 4
    assert len(acknowledged) > 0 and pending_rows(path) == len(acknowledged)


def _append_in_child(path: str, child: int, count: int) -> list:
    import spool as child_spool
    with child_spool.Spool(path) as events:
        return [events.append("user_search_events", {"event_id": f"p{child}-{i}"}) for i in range(count)]


def test_appends_from_four_processes_at_once_all_commit(tmp_path):
    path = str(tmp_path / "spool.db")
    spool.Spool(path).close()  # created once, so the children race on appends, not on creating the file
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.starmap(_append_in_child, [(path, child, 500) for child in range(4)])
    ids = [insert_id for result in results for insert_id in result]
    assert len(ids) == 2000 and len(set(ids)) == 2000
    assert pending_rows(path) == 2000
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    events = {row[0] for row in connection.execute("SELECT json_extract(payload, '$.event_id') FROM outbox")}
    connection.close()
    assert events == {f"p{child}-{i}" for child in range(4) for i in range(500)}


def test_an_append_waiting_for_sqlite_does_not_hold_the_gil(tmp_path):
    path = str(tmp_path / "spool.db")
    with spool.Spool(path) as events:
        events.append("t", {"n": 0})
        # Another connection holds the write lock: the next append waits in SQLite's busy handler (up to 5 s).
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        appended = threading.Event()
        thread = threading.Thread(target=lambda: (events.append("t", {"n": 1}), appended.set()))
        thread.start()
        # While that append is inside the C library, this thread keeps running Python code: the GIL is free.
        spins, started = 0, time.monotonic()
        while time.monotonic() - started < 0.3:
            spins += 1
        still_waiting = not appended.is_set()
        blocker.execute("COMMIT")
        blocker.close()
        thread.join(timeout=30)
    assert still_waiting, "the append should have been waiting for the lock"
    assert spins > 10_000, f"the main thread ran only {spins} loop iterations while the append waited"
    assert appended.is_set() and pending_rows(path) == 2
