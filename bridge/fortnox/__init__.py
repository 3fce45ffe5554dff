"""The Fortnox API client and its typed errors."""

from bridge.fortnox.auth import ClientCredentials, StaticToken, TokenSource
from bridge.fortnox.client import FortnoxClient
from bridge.fortnox.errors import FortnoxError, FortnoxUnreachable
from bridge.fortnox.pacing import Pacer

__all__ = [
    "ClientCredentials",
    "FortnoxClient",
    "FortnoxError",
    "FortnoxUnreachable",
    "Pacer",
    "StaticToken",
    "TokenSource",
]
