"""mockfortnox: a faithful, stateful mock of the Fortnox API (`create_app` is the entry point)."""

from importlib import metadata

try:
    __version__ = metadata.version("mockfortnox")
except metadata.PackageNotFoundError:  # run from the repository without the mock's own distribution
    __version__ = metadata.version("fortnox-bridge")

from mockfortnox.app import create_app

__all__ = ["__version__", "create_app"]
