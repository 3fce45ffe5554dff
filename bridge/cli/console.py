"""`console`: the operator console in a browser (`watch --console` runs it beside the watcher)."""

from __future__ import annotations

import signal
from types import FrameType

import click

from bridge.cli.common import Context, open_bridge, pass_context

__all__ = ["HOST", "PORT", "console"]

HOST = "127.0.0.1"
PORT = 8470


def _stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@click.command()
@click.option(
    "--host", default=HOST, show_default=True, help="Address to listen on; any but 127.0.0.1 needs a login."
)
@click.option(
    "--port", default=PORT, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on."
)
@click.option(
    "--hash-password",
    "make_hash",
    is_flag=True,
    help="Ask for a password and print the hash for console.password_hash; starts nothing.",
)
@pass_context
def console(ctx: Context, host: str, port: int, make_hash: bool) -> None:
    """The operator console: every company, its files, retries, activation links and exports."""
    from bridge.console import ConsoleError, ConsoleServer, hash_password

    if make_hash:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
        click.echo(hash_password(password))
        return
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    with open_bridge(ctx) as bridge:
        try:
            server = ConsoleServer(bridge, host, port)
        except (ConsoleError, OSError) as exc:
            raise click.UsageError(f"console: {exc}") from None
        server.work.check_companies()
        click.echo(f"The console is at {server.url}/ (stop with Ctrl-C).", err=True)
        try:
            server.run()
        except KeyboardInterrupt:
            click.echo("Console stopped.", err=True)
        finally:
            server.stop()


def start_beside(bridge, host: str, port: int, kick):
    """`watch --console`: the console in a thread of the watching process, sending through its workers."""
    from bridge.console import ConsoleError, ConsoleServer

    try:
        server = ConsoleServer(bridge, host, port, kick=kick).start()
    except (ConsoleError, OSError) as exc:
        raise click.UsageError(f"console: {exc}") from None
    click.echo(f"The console is at {server.url}/.", err=True)
    return server
