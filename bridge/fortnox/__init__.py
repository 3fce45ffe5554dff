"""The Fortnox API client, its tokens and its typed errors."""

from bridge.fortnox.auth import ClientCredentials, CompanyTokens, PersonalToken, StaticToken, TokenSource
from bridge.fortnox.client import FortnoxClient
from bridge.fortnox.errors import ConnectionRefused, FortnoxError, FortnoxUnreachable
from bridge.fortnox.oauth import OAuth, Tokens
from bridge.fortnox.pacing import Pacer
from bridge.fortnox.tokenstore import Connection, TokenStore

__all__ = [
    "ClientCredentials",
    "CompanyTokens",
    "Connection",
    "ConnectionRefused",
    "FortnoxClient",
    "FortnoxError",
    "FortnoxUnreachable",
    "OAuth",
    "Pacer",
    "PersonalToken",
    "StaticToken",
    "TokenSource",
    "TokenStore",
    "Tokens",
]
