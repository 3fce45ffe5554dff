"""`connect` writes the company into bridge.toml and leaves every other line as it was."""

import stat

from bridge.config import load_settings
from bridge.configfile import forget_tenant_id, record_tenant

BUREAU = """\
# Byrån's bridge: one folder per client company
[fortnox]
url = "https://api.fortnox.se"   # the real Fortnox
client_id = "abc123"

[tenants.acme.fortnox]
tenant_id = "1111"  # Acme AB

[tenants.acme.invoices]
create_customers = "never"
"""


def test_a_new_company_gets_its_table_and_nothing_else_changes(tmp_path):
    path = tmp_path / "bridge.toml"
    path.write_text(BUREAU, encoding="utf-8")
    record_tenant(path, "bygg", tenant_id="2222", company="Bygg & Co AB", organisation_number="556677-8899")
    text = path.read_text(encoding="utf-8")
    assert text.startswith(BUREAU)
    assert text[len(BUREAU) :] == (
        '\n[tenants.bygg.fortnox]\ntenant_id = "2222"\ncompany = "Bygg & Co AB"\n'
        'organisation_number = "556677-8899"\n'
    )
    settings = load_settings(tmp_path, environ={})
    assert [t.name for t in settings.tenants] == ["acme", "bygg"]
    assert settings.tenant("bygg")["fortnox.tenant_id"] == "2222"
    assert settings.tenant("acme")["invoices.create_customers"] == "never"


def test_the_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "bridge.toml"
    path.write_text(BUREAU, encoding="utf-8")
    path.chmod(0o640)
    record_tenant(path, "bygg", tenant_id="2", company="B", organisation_number="1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    record_tenant(tmp_path / "new.toml", None, tenant_id="2", company="B", organisation_number="1")
    assert stat.S_IMODE((tmp_path / "new.toml").stat().st_mode) == 0o644


def test_reconnecting_a_company_updates_its_keys_in_place(tmp_path):
    path = tmp_path / "bridge.toml"
    path.write_text(BUREAU, encoding="utf-8")
    record_tenant(path, "acme", tenant_id="1111", company="Acme AB", organisation_number="556000-0001")
    assert path.read_text(encoding="utf-8") == BUREAU.replace(
        'tenant_id = "1111"  # Acme AB\n',
        'tenant_id = "1111"  # Acme AB\ncompany = "Acme AB"\norganisation_number = "556000-0001"\n',
    )


def test_one_company_is_written_under_fortnox_and_a_missing_file_is_created(tmp_path):
    path = tmp_path / "bridge.toml"
    record_tenant(path, None, tenant_id="3333", company="Ett AB", organisation_number="559000-0003")
    settings = load_settings(tmp_path, environ={})
    assert not settings.multi_tenant
    assert settings["fortnox.tenant_id"] == "3333" and settings["fortnox.company"] == "Ett AB"


def test_forgetting_removes_only_the_tenant_id(tmp_path):
    path = tmp_path / "bridge.toml"
    path.write_text(BUREAU, encoding="utf-8")
    assert forget_tenant_id(path, "acme")
    assert path.read_text(encoding="utf-8") == BUREAU.replace('tenant_id = "1111"  # Acme AB\n', "")
    assert not forget_tenant_id(path, "acme") and not forget_tenant_id(path, "nobody")
