"""`spoolctl run` beside Python appenders, against the BigQuery emulator: SIGKILL of an appender, SIGTERM of the
uploader, a second uploader waiting for the lease and taking over, a bad configuration."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from spool_test_support import (pending_rows, query_column, run_spoolctl, spoolctl_path, unique_dataset, wait_until,
                      write_config)

import spool

SCHEMA = [{"name": "event_id", "type": "STRING", "mode": "NULLABLE"},
          {"name": "n", "type": "INTEGER", "mode": "NULLABLE"}]


def make_destination(folder: str, endpoint: str, lease_seconds: int = 30) -> tuple:
    """A configuration with a fresh emulator dataset holding one table, kill_events, created by spoolctl."""
    schemas = os.path.join(folder, "schemas")
    os.makedirs(schemas)
    with open(os.path.join(schemas, "kill_events.json"), "w") as file:
        json.dump(SCHEMA, file)
    dataset = unique_dataset()
    config = write_config(folder, "spool.json", {
        "spool": {"path": "spool.db"},
        "destination": {"project": "test-project", "dataset": dataset, "endpoint": endpoint},
        "uploader": {"leaseSeconds": lease_seconds, "credentials": "none"},
        "schemas": {"directory": "schemas"},
    })
    run_spoolctl("tables", "create", "--config", config)
    return config, dataset


def start_run(config: str, log_path: str) -> subprocess.Popen:
    return subprocess.Popen([spoolctl_path(), "run", "--config", config], stdout=subprocess.DEVNULL,
                            stderr=open(log_path, "w"))


def read(path: str) -> str:
    with open(path) as file:
        return file.read()


def test_no_acknowledged_event_is_lost_when_a_python_appender_is_killed_and_spoolctl_run_drains(tmp_path, emulator):
    folder = str(tmp_path)
    config, dataset = make_destination(folder, emulator)
    appender = textwrap.dedent("""
        import sys, spool
        events = spool.Spool(sys.argv[1])
        n = 0
        while True:
            events.append("kill_events", {"event_id": f"k-{n}", "n": n})
            print(n, flush=True)
            n += 1
    """)
    child = subprocess.Popen([sys.executable, "-c", appender, config], stdout=subprocess.PIPE, text=True)
    acknowledged = []
    for line in child.stdout:
        acknowledged.append(int(line))
        if len(acknowledged) == 1500:
            break
    child.send_signal(signal.SIGKILL)
    acknowledged += [int(line) for line in child.stdout]  # what it printed before dying was acknowledged too
    child.wait()
    assert child.returncode == -signal.SIGKILL

    database = os.path.join(folder, "spool.db")
    log = os.path.join(folder, "run.log")
    uploader = start_run(config, log)
    try:
        wait_until(lambda: pending_rows(database) == 0, 120, "spoolctl run to drain the spool")
    finally:
        uploader.send_signal(signal.SIGTERM)
        code = uploader.wait(timeout=60)
    assert code == 0, read(log)
    delivered = set(query_column(emulator, dataset, "kill_events"))
    missing = {f"k-{n}" for n in acknowledged} - delivered
    assert not missing, f"{len(missing)} acknowledged events never arrived, e.g. {sorted(missing)[:5]}"
    assert "spool uploader started" in read(log) and "spool uploader stopped" in read(log)


def test_a_second_spoolctl_run_waits_for_the_lease_and_takes_over_when_the_first_dies(tmp_path, emulator):
    folder = str(tmp_path)
    config, dataset = make_destination(folder, emulator, lease_seconds=3)
    database = os.path.join(folder, "spool.db")
    with spool.Spool(config) as events:
        events.append("kill_events", {"event_id": "first", "n": 0})
    first = start_run(config, os.path.join(folder, "first.log"))
    wait_until(lambda: pending_rows(database) == 0, 60, "the first uploader to deliver")
    second = start_run(config, os.path.join(folder, "second.log"))
    try:
        wait_until(lambda: "another uploader holds the spool's lease; waiting" in read(os.path.join(folder, "second.log")),
                   60, "the second uploader to wait for the lease")
        first.send_signal(signal.SIGKILL)
        first.wait()
        with spool.Spool(config) as events:
            events.append("kill_events", {"event_id": "second", "n": 1})
        wait_until(lambda: pending_rows(database) == 0, 60, "the second uploader to take over and deliver")
    finally:
        second.send_signal(signal.SIGINT)
        code = second.wait(timeout=60)
    assert code == 0, read(os.path.join(folder, "second.log"))
    assert sorted(query_column(emulator, dataset, "kill_events")) == ["first", "second"]


def test_spoolctl_run_exits_non_zero_on_a_bad_configuration(tmp_path):
    folder = str(tmp_path)
    spool.Spool(os.path.join(folder, "spool.db")).close()
    bad_type = write_config(folder, "bad.json", {"spool": {"path": "spool.db", "maxPendingRows": "many"}})
    no_destination = write_config(folder, "bare.json", {"spool": {"path": "spool.db"}})
    bad_destination = write_config(folder, "dest.json", {"spool": {"path": "spool.db"},
                                                         "destination": {"project": "p", "dataset": "bad dataset!"}})
    for config in (bad_type, no_destination, bad_destination, os.path.join(folder, "missing.json")):
        result = run_spoolctl("run", "--config", config, check=False)
        assert result.returncode == 1, (config, result.stderr)
        assert result.stderr.strip(), config


def test_the_in_process_uploader_delivers_and_stops_on_request(tmp_path, emulator):
    folder = str(tmp_path)
    config, dataset = make_destination(folder, emulator)
    database = os.path.join(folder, "spool.db")
    with spool.Spool(config) as events:
        events.start_uploader()
        with pytest.raises(spool.AlreadyRunning):
            events.start_uploader()  # one uploader per spool
        for n in range(20):
            events.append("kill_events", {"event_id": f"in-{n}", "n": n})
        wait_until(lambda: pending_rows(database) == 0, 60, "the in-process uploader to deliver")
        events.stop_uploader()
        events.append("kill_events", {"event_id": "after-stop", "n": 99})
    assert pending_rows(database) == 1  # stopped: nothing sends the last one
    assert sorted(query_column(emulator, dataset, "kill_events")) == sorted(f"in-{n}" for n in range(20))


def test_an_uploader_needs_a_configuration_with_a_destination(tmp_path):
    with spool.Spool(str(tmp_path / "spool.db")) as events:
        with pytest.raises(spool.InvalidConfiguration):
            events.start_uploader()
        with pytest.raises(spool.InvalidConfiguration):
            events.stop_uploader()
