"""One process of the refresh race: wait for the start signal, then make an API call with a
personal consent whose access token is spent. Prints the company it reached and whether this
process refreshed the token."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from bridge.fortnox import FortnoxClient, OAuth, PersonalToken, TokenStore


def main(url: str, store_folder: str, start_signal: str) -> None:
    tokens = PersonalToken(
        OAuth(f"{url}/oauth-v1", "demo-client", "demo-secret"), TokenStore(Path(store_folder)), "demo"
    )
    Path(f"{start_signal}.ready.{os.getpid()}").touch()
    while not Path(start_signal).exists():
        time.sleep(0.005)
    with FortnoxClient(url, tokens) as api:
        company = api.get("/3/companyinformation")["CompanyInformation"]
    print(company["DatabaseNumber"], "refreshed" if tokens.refreshes else "reused", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
