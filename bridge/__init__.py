"""fortnox-bridge: files dropped in a folder become Fortnox documents, exactly once."""

__version__ = "0.1.0"
