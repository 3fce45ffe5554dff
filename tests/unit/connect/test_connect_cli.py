"""The connection commands as a person sees them: what is missing is a configuration error
with exit code 2 and one sentence, never a traceback."""

from click.testing import CliRunner

from bridge.cli import main


def run(tmp_path, *args, env=None):
    return CliRunner().invoke(main, ["--workdir", str(tmp_path), *args], env=env or {})


def test_a_missing_secret_is_a_configuration_error_before_anything_starts(tmp_path):
    (tmp_path / "bridge.toml").write_text(
        '[fortnox]\nurl = "http://127.0.0.1:9"\nclient_id = "abc"\n[tenants.bygg.fortnox]\ntenant_id = "1"\n'
    )
    for args in (["watch", "--once"], ["tenants"], ["connect", "--tenant", "bygg", "--paste"]):
        result = run(tmp_path, *args, env={"FORTNOX_CLIENT_SECRET": ""})
        assert result.exit_code == 2, (args, result.output)
        assert "FORTNOX_CLIENT_SECRET" in result.output and "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_connect_without_a_fortnox_url_says_the_mock_needs_none(tmp_path):
    result = run(tmp_path, "connect", "--paste")
    assert result.exit_code == 2 and "the embedded mock needs no connecting" in result.output


def test_auth_status_tells_how_each_company_is_connected(tmp_path):
    (tmp_path / "bridge.toml").write_text(
        '[fortnox]\nurl = "https://api.fortnox.se"\nclient_id = "abc"\n'
        '[tenants.acme.fortnox]\ntenant_id = "1111"\ncompany = "Acme AB"\n[tenants.bygg]\n'
    )
    result = run(tmp_path, "auth", "status")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "acme: Acme AB (TenantId 1111), a service account",
        "bygg: not connected; run `fortnox-bridge connect --tenant bygg`",
    ]
