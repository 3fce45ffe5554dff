"""Settings: bridge.toml, FORTNOX_* environment variables, several companies, and their page."""

from pathlib import Path

import pytest

from bridge.config import OPTIONS, ConfigError, load_settings, options_markdown

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path, text):
    (tmp_path / "bridge.toml").write_text(text, encoding="utf-8")


def test_no_configuration_means_the_embedded_mock(tmp_path):
    settings = load_settings(tmp_path, environ={})
    (tenant,) = settings.tenants
    assert tenant.embedded and not settings.multi_tenant
    assert settings.inbox == tmp_path / "inbox" and settings.state_dir == tmp_path / ".bridge"


def test_environment_wins_over_the_file(tmp_path):
    write(tmp_path, '[fortnox]\nurl = "https://api.fortnox.se"\n[watch]\nsettle_seconds = 2.5\n')
    settings = load_settings(
        tmp_path, environ={"FORTNOX_WATCH_SETTLE_SECONDS": "0.5", "FORTNOX_CLIENT_SECRET": "s3cret"}
    )
    assert settings["watch.settle_seconds"] == 0.5
    assert settings.tenants[0]["fortnox.client_secret"] == "s3cret"
    assert settings.tenants[0]["fortnox.url"] == "https://api.fortnox.se"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[watch]\nsettle = 1\n", "unknown setting watch.settle"),
        ('[invoices]\ncreate_customers = "sometimes"\n', "must be one of always, private, never"),
        ("[watch]\npoll = 3\n", "watch.poll must be a bool"),
        ("[tenants.a.watch]\npoll = true\n", "applies to all tenants"),
        ("[fortnox\n", "bridge.toml"),
    ],
)
def test_mistakes_are_named(tmp_path, toml, message):
    write(tmp_path, toml)
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path, environ={})


def test_several_companies_each_with_their_own_folder_and_settings(tmp_path):
    write(
        tmp_path,
        '[fortnox]\nclient_id = "c"\n[invoices]\ncreate_customers = "private"\n'
        '[tenants.acme.fortnox]\ntenant_id = "1"\n'
        '[tenants.bygg.fortnox]\ntenant_id = "2"\n[tenants.bygg.invoices]\ncreate_customers = "never"\n',
    )
    settings = load_settings(tmp_path, environ={})
    assert settings.multi_tenant
    acme, bygg = settings.tenants
    assert (acme["fortnox.tenant_id"], acme["fortnox.client_id"], acme["invoices.create_customers"]) == (
        "1",
        "c",
        "private",
    )
    assert (bygg["fortnox.tenant_id"], bygg["invoices.create_customers"]) == ("2", "never")
    assert settings.inbox_of("bygg") == tmp_path / "inbox" / "bygg"


def test_the_configuration_page_is_generated_from_the_options_and_current():
    page = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert page == options_markdown(), "docs/configuration.md is stale: run `make docs`"
    assert all(f"`{o.env}`" in page for o in OPTIONS)
