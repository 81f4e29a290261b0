"""Finds libSpoolC.so: $SPOOL_LIBRARY, else the copy pip installed beside this file, else a build in the repository."""

from __future__ import annotations

import ctypes
import os
import sys

_NAME = "libSpoolC.dylib" if sys.platform == "darwin" else "libSpoolC.so"


def candidates():
    explicit = os.environ.get("SPOOL_LIBRARY")
    if explicit:
        return [explicit]
    here = os.path.dirname(os.path.abspath(__file__))
    repository = os.path.dirname(os.path.dirname(here))
    return [
        os.path.join(here, _NAME),
        os.path.join(repository, ".build", "release", _NAME),
        os.path.join(repository, ".build", "debug", _NAME),
    ]


def load_library() -> ctypes.CDLL:
    """ctypes.CDLL (not PyDLL): every call into the library releases the GIL."""
    paths = candidates()
    for path in paths:
        if os.path.exists(path):
            return ctypes.CDLL(path)
    raise OSError(
        "libSpoolC not found (looked at: " + ", ".join(paths) + "). Build it with "
        "`swift build -c release --product SpoolC` in the Spool repository, or set SPOOL_LIBRARY to its path."
    )
