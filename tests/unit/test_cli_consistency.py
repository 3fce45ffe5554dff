"""The two programs speak alike: every option is explained, both tell their version, and the
commands a script drives take --json and --tenant."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from bridge.cli import main as bridge_main
from mockfortnox.cli import main as mock_main


def _commands(group: click.Command, path: str) -> Iterator[tuple[str, click.Command]]:
    yield path, group
    if isinstance(group, click.Group):
        for name, command in group.commands.items():
            yield from _commands(command, f"{path} {name}")


@pytest.mark.parametrize("program", [bridge_main, mock_main], ids=["fortnox-bridge", "mockfortnox"])
def test_every_option_of_every_command_says_what_it_does(program) -> None:
    unexplained = [
        f"{path} {'/'.join(param.opts)}"
        for path, command in _commands(program, program.name or "")
        for param in command.params
        if isinstance(param, click.Option) and not param.help and "--version" not in param.opts
    ]
    assert unexplained == []


@pytest.mark.parametrize("program", [bridge_main, mock_main], ids=["fortnox-bridge", "mockfortnox"])
def test_both_programs_tell_their_version(program) -> None:
    result = CliRunner().invoke(program, ["--version"])
    assert result.exit_code == 0 and "version" in result.output


@pytest.mark.parametrize("command", ["process", "retry", "status", "watch"])
def test_the_commands_scripts_drive_take_json_and_tenant(command) -> None:
    options = {opt for param in bridge_main.commands[command].params for opt in param.opts}
    assert {"--json", "--tenant"} <= options
