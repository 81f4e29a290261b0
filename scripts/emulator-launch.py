"""Runs the bqemulator CLI with its automatic time-travel snapshots and its Avro download turned off.

Usage (with the emulator venv's python; scripts/emulator does this for you):
    <venv>/bin/python scripts/emulator-launch.py start --rest-host 127.0.0.1 --rest-port P \
        --grpc-host 127.0.0.1 --grpc-port G --project test-project

Every argument is handed to `bqemulator.cli.main` unchanged.

Why: bqemulator 1.4.0 copies the whole table into a new snapshot table after every
write (insertAll, DML, load, copy). With many test inserts that makes each insert
slower than the last and memory climbs by gigabytes. Spool's tests never use
`FOR SYSTEM_TIME AS OF`, so AUTO snapshots are skipped; snapshots a client asks
for explicitly (kind USER) still work.

It also skips the best-effort `INSTALL avro` at startup: that tries to download the
extension from DuckDB's site (this machine has no network but loopback), only logs a
warning when it fails, and Spool never loads Avro files.
"""

from __future__ import annotations

import sys

from bqemulator.cli import main
from bqemulator.storage.engine import DuckDBEngine
from bqemulator.versioning.snapshots import SnapshotManager

_capture_snapshot = SnapshotManager.capture


def _capture_user_snapshots_only(self, project_id, dataset_id, table_id, *, kind="AUTO"):
    # record_change() ignores the result and still publishes TableDataChanged,
    # so returning None (the "table is gone" answer) is safe here.
    if kind == "AUTO":
        return None
    return _capture_snapshot(self, project_id, dataset_id, table_id, kind=kind)


def _skip_avro_extension(self):
    return None


SnapshotManager.capture = _capture_user_snapshots_only
DuckDBEngine._load_format_extensions = _skip_avro_extension

if __name__ == "__main__":
    sys.argv[0] = "bqemulator"
    sys.exit(main())
