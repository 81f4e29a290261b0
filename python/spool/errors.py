"""Spool's errors as Python exceptions: one class per code of include/spool.h, named like Swift's SpoolError.Code."""

from __future__ import annotations


class SpoolError(Exception):
    """The base of every error the module raises. ``code`` is the number of include/spool.h, ``name`` the Swift
    code's name (``"spoolFull"``), ``message`` a sentence without payload values."""

    code = 255
    name = "other"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidJSON(SpoolError):
    """The event is not valid JSON (or not UTF-8). Nothing was written."""
    code, name = 1, "invalidJSON"


class NotAnObject(SpoolError):
    """The event is valid JSON but not an object. Nothing was written."""
    code, name = 2, "notAnObject"


class InvalidTableName(SpoolError):
    """The table name is not a valid BigQuery table id. Nothing was written."""
    code, name = 3, "invalidTableName"


class RowTooLarge(SpoolError):
    """The event is over ``spool.maxRowBytes``. Nothing was written."""
    code, name = 4, "rowTooLarge"


class InvalidInsertId(SpoolError):
    code, name = 5, "invalidInsertId"


class SchemaViolation(SpoolError):
    """Strict mode: the event does not match its table's schema. Nothing was written."""
    code, name = 6, "schemaViolation"


class UnknownTable(SpoolError):
    """Strict mode: no schema is configured for the table. Nothing was written."""
    code, name = 7, "unknownTable"


class SpoolFull(SpoolError):
    """The backlog cap is reached (``capPolicy`` reject). Nothing was written."""
    code, name = 8, "spoolFull"


class DiskFull(SpoolError):
    code, name = 9, "diskFull"


class NotADatabase(SpoolError):
    code, name = 10, "notADatabase"


class Corrupt(SpoolError):
    code, name = 11, "corrupt"


class NewerVersion(SpoolError):
    code, name = 12, "newerVersion"


class OlderVersion(SpoolError):
    code, name = 13, "olderVersion"


class CannotOpen(SpoolError):
    code, name = 14, "cannotOpen"


class ReadOnly(SpoolError):
    code, name = 15, "readOnly"


class Busy(SpoolError):
    code, name = 16, "busy"


class Closed(SpoolError):
    """The spool was closed."""
    code, name = 17, "closed"


class SpoolIOError(SpoolError):
    """An I/O error from the operating system (Swift's ``.io``; named so as not to shadow Python's IOError)."""
    code, name = 18, "io"


class InvalidConfiguration(SpoolError):
    code, name = 19, "invalidConfiguration"


class Storage(SpoolError):
    """Any other SQLite failure."""
    code, name = 20, "storage"


class NotASpool(SpoolError):
    """A file that exists but is not a spool."""
    code, name = 21, "notASpool"


class AlreadyRunning(SpoolError):
    """The uploader is already running."""
    code, name = 22, "alreadyRunning"


class Credentials(SpoolError):
    """BigQuery credentials cannot be used: the key file is missing, unreadable, not JSON, of an unsupported type,
    lacks a field or holds a bad private key, or the token endpoint refused. The message names the file, never a key."""
    code, name = 23, "credentials"


class InvalidArgument(SpoolError):
    code, name = 100, "invalidArgument"


class BufferTooSmall(SpoolError):
    code, name = 101, "bufferTooSmall"


_BY_CODE = {cls.code: cls for cls in SpoolError.__subclasses__()}


def error_for(code: int, message: str) -> SpoolError:
    """The exception for a code of include/spool.h (``SpoolError`` itself for a code this module does not know)."""
    error = _BY_CODE.get(code, SpoolError)(message)
    error.code = code
    return error
