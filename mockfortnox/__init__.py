"""mockfortnox: a faithful, stateful mock of the Fortnox API (`create_app` is the entry point)."""

from mockfortnox.app import create_app

__all__ = ["create_app"]
