"""Builds Spool's C library as part of `pip install ./python` and ships it inside the package.

The library is $SPOOL_LIBRARY when set (an already built libSpoolC.so), else the repository's own release build:
`swift build -c release --product SpoolC` runs in the repository root (the folder above this one).
"""

import os
import shutil
import subprocess
import sys

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
REPOSITORY = os.path.dirname(HERE)
NAME = "libSpoolC.dylib" if sys.platform == "darwin" else "libSpoolC.so"


def built_library():
    explicit = os.environ.get("SPOOL_LIBRARY")
    if explicit:
        return explicit
    if not os.path.exists(os.path.join(REPOSITORY, "Package.swift")):
        raise SystemExit(f"cannot build libSpoolC: {REPOSITORY} is not the Spool repository; set SPOOL_LIBRARY")
    subprocess.run(["swift", "build", "-c", "release", "--product", "SpoolC"], cwd=REPOSITORY, check=True,
                   stdout=sys.stderr)
    return os.path.join(REPOSITORY, ".build", "release", NAME)


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        target = os.path.join(self.build_lib, "spool")
        os.makedirs(target, exist_ok=True)
        shutil.copy2(built_library(), os.path.join(target, NAME))


class BinaryDistribution(Distribution):
    """The wheel carries a native library: tag it for this platform."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=BinaryDistribution)
