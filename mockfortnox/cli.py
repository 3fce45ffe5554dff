"""`mockfortnox`: run the Fortnox mock, and get tokens for it."""

from __future__ import annotations

import ipaddress
import sys

import click
import httpx

from mockfortnox import __version__
from mockfortnox.auth import ALL_SCOPES
from mockfortnox.ratelimit import parse_rate


@click.group()
@click.version_option(version=__version__, prog_name="mockfortnox")
def main() -> None:
    """A faithful, stateful mock of the Fortnox API, for tests without credentials."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int, help="0 picks a free port.")
@click.option("--seed", "seeds", multiple=True, help="Seed JSON or SIE file (.se), or 'demo' (default).")
@click.option("--state", "state_file", type=click.Path(dir_okay=False), help="Persist state in this file.")
@click.option(
    "--rate-limit", default="25/5s", show_default=True, help="Requests per window per token, or 'off'."
)
@click.option(
    "--topics-port", default=0, show_default=True, type=int, help="WebSocket topics; 0 picks a free port."
)
@click.option(
    "--control-token",
    envvar="MOCKFORTNOX_CONTROL_TOKEN",
    show_envvar=True,
    help="Only requests with this token (header X-Mock-Token) may use the control API under /mock/; "
    "required when --host is not a loopback address.",
)
def serve(
    host: str,
    port: int,
    seeds: tuple[str, ...],
    state_file: str | None,
    rate_limit: str,
    topics_port: int,
    control_token: str | None,
) -> None:
    """Serve the mock (and its WebSocket topics) until interrupted."""
    from mockfortnox.app import create_app
    from mockfortnox.server import MockServer

    try:
        parse_rate(rate_limit)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--rate-limit") from None
    if not is_loopback(host):
        click.echo(
            f"warning: mockfortnox on {host} is reachable from other machines; its control API can reset "
            "and reseed every company, so it answers only requests carrying --control-token",
            err=True,
        )
        if not control_token:
            raise click.UsageError(
                f"--host {host} is not a loopback address: give --control-token TOKEN (or set "
                "MOCKFORTNOX_CONTROL_TOKEN), or serve on 127.0.0.1"
            )
    app = create_app(
        {
            "MOCK_SEEDS": list(seeds) or ["demo"],
            "MOCK_STATE_FILE": state_file,
            "MOCK_RATE_LIMIT": rate_limit,
            "MOCK_CONTROL_TOKEN": control_token or None,
        }
    )
    server = MockServer(app, host, port, topics_port=topics_port)
    server.topics.start()  # before the address is printed, so that it can be printed
    click.echo(f"mockfortnox listening on {server.url} (rate limit {rate_limit})", err=True)
    click.echo(f"mockfortnox topics on {server.topics.url}", err=True)
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop()


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach `host` (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name that resolves elsewhere, or 0.0.0.0-like wildcards


def _scopes(ctx: click.Context, param: click.Parameter, given: tuple[str, ...]) -> list[str]:
    """`--scope customer --scope invoice` or `--scope "customer invoice"` (as OAuth writes them)."""
    scopes = [s for value in given for s in value.replace(",", " ").split()]
    unknown = [s for s in scopes if s not in ALL_SCOPES]
    if unknown:
        raise click.BadParameter(
            f"unknown scope {', '.join(unknown)}; Fortnox's scopes are {', '.join(ALL_SCOPES)}"
        )
    return scopes


@main.command()
@click.option("--tenant", required=True, help="Tenant id (DatabaseNumber) or name, e.g. demo.")
@click.option(
    "--url",
    default="http://127.0.0.1:8080",
    show_default=True,
    envvar="MOCKFORTNOX_URL",
    show_envvar=True,
    help="Where the mock runs.",
)
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    callback=_scopes,
    help='Limit the token to these scopes: repeat it, or give several with spaces ("customer invoice").',
)
@click.option(
    "--control-token", envvar="MOCKFORTNOX_CONTROL_TOKEN", show_envvar=True, help="The mock's control token."
)
def token(tenant: str, url: str, scopes: list[str], control_token: str | None) -> None:
    """Print a ready access token for TENANT, valid for one hour."""
    headers = {"X-Mock-Token": control_token} if control_token else {}
    try:
        answer = httpx.post(
            f"{url.rstrip('/')}/mock/tokens", json={"tenant": tenant, "scopes": scopes}, headers=headers
        )
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach the mock at {url}: {exc}") from None
    if answer.status_code != 200:
        raise click.ClickException(answer.json().get("error", answer.text))
    click.echo(answer.json()["access_token"])
