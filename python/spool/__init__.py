"""Spool from Python: append analytics events to a Spool outbox (a local SQLite file) in tens of microseconds.

    import spool

    with spool.Spool("/etc/spool/spool.json") as events:       # a configuration file, or a spool file path
        insert_id = events.append("user_search_events", {"event_id": "e1", "user_id": "u1"})

``append`` returns once the event is committed to the local file; the uploader (``spoolctl run``, or
``start_uploader()`` in this process) sends it to BigQuery. The module calls Spool's C ABI (``libSpoolC.so``,
include/spool.h) through ctypes.CDLL, which releases the GIL for the duration of every call: other Python
threads run while an append waits for SQLite's commit, and appends from several threads share commits.
"""

from __future__ import annotations

import ctypes
import json
import os
import threading
from typing import Any, Mapping, Optional, Union

from ._library import load_library
from .errors import (
    BufferTooSmall,
    Busy,
    CannotOpen,
    Closed,
    Corrupt,
    Credentials,
    DiskFull,
    InvalidArgument,
    InvalidConfiguration,
    InvalidInsertId,
    InvalidJSON,
    InvalidTableName,
    NewerVersion,
    NotADatabase,
    NotASpool,
    NotAnObject,
    AlreadyRunning,
    OlderVersion,
    ReadOnly,
    RowTooLarge,
    SchemaViolation,
    SpoolError,
    SpoolFull,
    SpoolIOError,
    Storage,
    UnknownTable,
    error_for,
)

__all__ = [
    "Spool", "SpoolError", "InvalidJSON", "NotAnObject", "InvalidTableName", "RowTooLarge", "InvalidInsertId",
    "SchemaViolation", "UnknownTable", "SpoolFull", "DiskFull", "NotADatabase", "Corrupt", "NewerVersion",
    "OlderVersion", "CannotOpen", "ReadOnly", "Busy", "Closed", "SpoolIOError", "InvalidConfiguration", "Storage",
    "NotASpool", "AlreadyRunning", "Credentials", "InvalidArgument", "BufferTooSmall",
]

_MESSAGE_CAPACITY = 512  # SPOOL_MESSAGE_CAPACITY
_INSERT_ID_CAPACITY = 129  # SPOOL_INSERT_ID_CAPACITY
_CLOSED = 17  # SPOOL_ERR_CLOSED


class _Error(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int32), ("message", ctypes.c_char * _MESSAGE_CAPACITY)]


_lib = None
_lib_lock = threading.Lock()


def _library() -> ctypes.CDLL:
    global _lib
    with _lib_lock:
        if _lib is None:
            lib = load_library()
            handle_p = ctypes.POINTER(ctypes.c_uint64)
            error_p = ctypes.POINTER(_Error)
            lib.spool_open.argtypes = [ctypes.c_char_p, handle_p, error_p]
            lib.spool_open_config.argtypes = [ctypes.c_char_p, handle_p, error_p]
            lib.spool_append.argtypes = [
                ctypes.c_uint64, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                ctypes.c_size_t, error_p,
            ]
            lib.spool_close.argtypes = [ctypes.c_uint64, error_p]
            lib.spool_uploader_start.argtypes = [ctypes.c_uint64, error_p]
            lib.spool_uploader_stop.argtypes = [ctypes.c_uint64, error_p]
            for function in (lib.spool_open, lib.spool_open_config, lib.spool_append, lib.spool_close,
                             lib.spool_uploader_start, lib.spool_uploader_stop):
                function.restype = ctypes.c_int32
            _lib = lib
        return _lib


def _raise(error: _Error) -> None:
    raise error_for(error.code, error.message.decode("utf-8", "replace"))


class Spool:
    """An open spool file. Safe to share between threads; ``close()`` (or the ``with`` block) closes it.

    ``Spool(path_or_config)``: a path ending in ``.json`` is a configuration file (the one ``spoolctl`` reads:
    ``spool.path``, the cap, durability, strict schemas, and the destination for ``start_uploader``); any other
    path is the spool file itself, opened with the default configuration (created when missing).
    ``Spool.from_config()`` reads ``$SPOOL_CONFIG``, else /etc/spool/spool.json.
    """

    def __init__(self, path_or_config: Union[str, os.PathLike]) -> None:
        path = os.fspath(path_or_config)
        self._open(path, is_config=path.endswith(".json"))

    @classmethod
    def from_config(cls, config: Optional[Union[str, os.PathLike]] = None) -> "Spool":
        """Opens the spool a configuration file names (``config``, else ``$SPOOL_CONFIG``, else the default)."""
        spool = cls.__new__(cls)
        spool._open(None if config is None else os.fspath(config), is_config=True)
        return spool

    def _open(self, path: Optional[str], is_config: bool) -> None:
        self._handle = 0
        self._closed = False
        lib = _library()
        self._lib = lib
        self._append = lib.spool_append
        self._tables: dict = {}
        self._local = threading.local()
        handle = ctypes.c_uint64(0)
        error = _Error()
        encoded = None if path is None else path.encode("utf-8")
        opener = lib.spool_open_config if is_config else lib.spool_open
        if opener(encoded, ctypes.byref(handle), ctypes.byref(error)) != 0:
            _raise(error)
        self._handle = handle.value
        self.path = path

    def _buffers(self):
        local = self._local
        try:
            return local.insert_id, local.error
        except AttributeError:
            local.insert_id = ctypes.create_string_buffer(_INSERT_ID_CAPACITY)
            local.error = _Error()
            return local.insert_id, local.error

    def append(self, table: str, event: Union[Mapping[str, Any], str, bytes]) -> str:
        """Commits one event for ``table`` and returns its insert id (BigQuery's de-duplication id).

        ``event``: a dict (encoded with ``json.dumps``), or a JSON object text (str or UTF-8 bytes) taken as is.
        Raises a ``SpoolError`` subclass — ``InvalidJSON``, ``NotAnObject``, ``InvalidTableName``, ``RowTooLarge``,
        ``SpoolFull``, ``DiskFull``, ``Closed``, in strict mode ``UnknownTable`` / ``SchemaViolation`` — and then
        nothing was written. Messages never contain payload values.
        """
        if isinstance(event, bytes):
            data = event
        elif isinstance(event, str):
            data = event.encode("utf-8")
        else:
            try:
                data = json.dumps(event, separators=(",", ":"), allow_nan=False).encode("utf-8")
            except ValueError as error:  # NaN or Infinity: not JSON
                raise InvalidJSON(f"a row for {table} is not valid JSON: {error}") from None
        name = self._tables.get(table)
        if name is None:
            name = table.encode("utf-8")
            self._tables[table] = name
        insert_id, error = self._buffers()
        if self._append(self._handle, name, data, len(data), insert_id, _INSERT_ID_CAPACITY, error) != 0:
            _raise(error)
        return insert_id.value.decode("ascii")

    def start_uploader(self) -> None:
        """Runs Spool's uploader in this process, on a thread of its own (needs a configuration file with a
        destination). Most services run ``spoolctl run`` beside them instead."""
        self._call(self._lib.spool_uploader_start)

    def stop_uploader(self) -> None:
        """Stops the uploader after a last drain of at most 5 s."""
        self._call(self._lib.spool_uploader_stop)

    def _call(self, function) -> None:
        error = _Error()
        if function(self._handle, ctypes.byref(error)) != 0:
            _raise(error)

    def close(self) -> None:
        """Stops the in-process uploader (if started) and closes the file. Safe to call twice; appends after it
        raise ``Closed``."""
        if not self._handle or self._closed:
            return
        self._closed = True
        error = _Error()
        code = self._lib.spool_close(self._handle, ctypes.byref(error))
        if code not in (0, _CLOSED):
            _raise(error)

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> "Spool":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
