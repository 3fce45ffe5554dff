"""Settings: `bridge.toml` in the working folder (or `--config`), every key also as an env var.

A key `section.key` is `FORTNOX_SECTION_KEY` in the environment (`watch.settle_seconds` →
`FORTNOX_WATCH_SETTLE_SECONDS`); keys of the `[fortnox]` section drop the section
(`fortnox.url` → `FORTNOX_URL`). The environment wins over the file. With no `fortnox.url`
the bridge runs against its embedded mock. `[tenants.NAME]` tables declare several
companies; each may override any section except `folders`, `watch`, `exports` and `ledger`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

__all__ = [
    "OPTIONS",
    "ConfigError",
    "Option",
    "Settings",
    "TenantSettings",
    "load_settings",
    "options_markdown",
]

DEFAULT_TENANT = "default"


class ConfigError(ValueError):
    """The configuration cannot be used; the message says which key and why."""


@dataclass(frozen=True)
class Option:
    section: str
    key: str
    default: Any
    help: str
    choices: tuple[str, ...] = ()

    @property
    def env(self) -> str:
        prefix = "FORTNOX_" if self.section == "fortnox" else f"FORTNOX_{self.section.upper()}_"
        return prefix + self.key.upper()


OPTIONS: tuple[Option, ...] = (
    Option(
        "fortnox", "url", "", "Fortnox API base, e.g. https://api.fortnox.se; empty runs the embedded mock"
    ),
    Option(
        "fortnox",
        "auth_url",
        "",
        "OAuth base: https://apps.fortnox.se/oauth-v1 for the real Fortnox (default: beside url)",
    ),
    Option("fortnox", "client_id", "", "OAuth client id of the integration"),
    Option("fortnox", "client_secret", "", "OAuth client secret (keep it out of the file: use the env var)"),
    Option("fortnox", "tenant_id", "", "The company's TenantId (DatabaseNumber); `connect` writes it"),
    Option("fortnox", "company", "", "The company's name in Fortnox; `connect` writes it"),
    Option("fortnox", "organisation_number", "", "The company's organisation number; `connect` writes it"),
    Option(
        "fortnox",
        "redirect_uri",
        "http://127.0.0.1:8765/callback",
        "Redirect URI registered for the integration in Fortnox's Developer Portal; `connect` listens there",
    ),
    Option(
        "fortnox",
        "flows",
        "all",
        "What the bridge does for this company: all, or some of invoices, supplierinvoices, vouchers,"
        " files, exports (sets the scopes `connect` asks for)",
    ),
    Option("fortnox", "timeout_seconds", 30.0, "How long one API call may take"),
    Option(
        "fortnox", "requests_per_window", 24, "Requests per tenant per 5-second window (Fortnox allows 25)"
    ),
    Option("folders", "inbox", "inbox", "Where files are dropped"),
    Option("folders", "outbox", "outbox", "Where receipts, failures, archives and exports appear"),
    Option("folders", "state", ".bridge", "The bridge's own state: ledger, work area, embedded mock"),
    Option(
        "folders",
        "shared_outbox",
        False,
        "With several companies, one outbox/ for all of them instead of outbox/<company>/ each",
    ),
    Option(
        "ui",
        "language",
        "sv",
        "Language of receipts, error reports, status and the console (JSON stays language-neutral)",
        choices=("sv", "en"),
    ),
    Option(
        "console",
        "password_hash",
        "",
        "The console's login: a hash of its password (`fortnox-bridge console --hash-password` makes"
        " one); required off 127.0.0.1, and asked for wherever it is set",
    ),
    Option(
        "console",
        "url",
        "",
        "The console's address as browsers reach it (behind a proxy, https://…); its"
        " `/connect/callback` must be a redirect URI of the integration (default: where it listens)",
    ),
    Option(
        "watch", "settle_seconds", 1.0, "A file must keep its size and time this long, and be seen this long"
    ),
    Option("watch", "rescan_seconds", 30.0, "Full rescan of the inbox even when no event arrives"),
    Option("watch", "poll", False, "Poll instead of file-system events (network shares)"),
    Option(
        "watch",
        "workers",
        16,
        "Sending workers shared by all companies, in turns (each company keeps Fortnox's pace of its own)",
    ),
    Option(
        "workers",
        "lease_seconds",
        30.0,
        "Worker mode (`watch --worker-id`): a company (and the inbox) stays with a worker this long"
        " after its last heartbeat; a worker that dies loses its companies to the others after it",
    ),
    Option(
        "workers",
        "slice_seconds",
        20.0,
        "Worker mode: how long a worker serves one company before it goes back in the queue behind"
        " the others (so work spreads over the workers, and a new worker gets companies at once)",
    ),
    Option(
        "ledger",
        "backup_hours",
        6.0,
        "`watch` copies the ledger into <state>/backups/ this often (and as it starts and stops); 0: never",
    ),
    Option("ledger", "backup_keep", 8, "How many of those copies stay (the oldest go)"),
    Option(
        "ledger",
        "url",
        "",
        "Where the ledger lives: empty, a SQLite file in the state folder; postgresql://user:password@host/db,"
        " a PostgreSQL database (copied with pg_dump, not `ledger backup`)",
    ),
    Option(
        "invoices",
        "create_customers",
        "always",
        "Create missing customers: always; private (private persons from the file, companies must "
        "already exist with the same organisation number); never",
        ("always", "private", "never"),
    ),
    Option(
        "invoices",
        "create_articles",
        True,
        "Create an article an invoice row names when Fortnox lacks it (number, description, unit, VAT)",
    ),
    Option(
        "invoices",
        "create_projects",
        True,
        "Create a project an invoice row names when Fortnox lacks it, from a project register the "
        "bridge has read",
    ),
    Option(
        "supplierinvoices",
        "bookkeep",
        "preliminary",
        "`preliminary`: register supplier invoices and book them in Fortnox yourself; "
        "`definitive`: the bridge books them",
        ("preliminary", "definitive"),
    ),
    Option(
        "supplierinvoices",
        "create_suppliers",
        "always",
        "Create a missing supplier from the invoice, with its bankgiro/plusgiro/IBAN (`always`), "
        "or refuse the invoice (`never`)",
        ("always", "never"),
    ),
    Option(
        "supplierinvoices",
        "default_account",
        4000,
        "Cost account when the supplier has no predefined account",
    ),
    Option(
        "supplierinvoices", "disable_payment_file", False, "Payment block: leave them out of payment files"
    ),
    Option(
        "supplierinvoices", "accruals", False, "Spread an invoice covering several months (periodisering)"
    ),
    Option("supplierinvoices", "accrual_account", 1790, "Balance account for accrued (prepaid) costs"),
    Option("supplierinvoices", "prepaid_account", 1480, "Account of advance payments an invoice deducts"),
    Option(
        "matching",
        "enabled",
        False,
        "Match supplier invoices to purchase orders: an invoice naming an order is booked only when it "
        "matches (`supplierinvoices.bookkeep`), otherwise a deviation report waits for a person",
    ),
    Option(
        "matching",
        "quantity_tolerance",
        Decimal("0"),
        "How far an invoiced quantity may differ from what is still open on the order row (units)",
    ),
    Option(
        "matching",
        "price_tolerance_percent",
        Decimal("1"),
        "How far an invoiced unit price may differ from the order's, in per cent of the order price",
    ),
    Option(
        "matching",
        "every_minutes",
        5,
        "How often `watch` reads supplier invoices changed in Fortnox and matches them (0: never)",
    ),
    Option("files", "default_folder", "inbox_s", "Fortnox inbox folder for a PDF dropped on its own"),
    Option("files", "include_on_send", True, "Send a PDF attached to a customer invoice along with it"),
    Option(
        "exports",
        "payments_every_minutes",
        0,
        "`watch` writes the payment status export this often (0: only on command)",
    ),
    Option(
        "exports",
        "masterdata_every_minutes",
        0,
        "`watch` writes the master data export and its changes file this often (0: only on command)",
    ),
    Option(
        "live",
        "enabled",
        False,
        "`watch` listens to Fortnox's WebSocket topics and updates the exports in `live.exports` within "
        "seconds of a change (for the companies whose connection has the scopes)",
    ),
    Option(
        "live",
        "exports",
        "payments,masterdata",
        "Exports kept current live, comma-separated: `payments`, `masterdata`, `documents`, `sie`",
    ),
    Option(
        "live",
        "url",
        "",
        "Fortnox's topics address; empty: wss://ws.fortnox.se/topics-v1 for the real Fortnox, the "
        "embedded mock's own for the embedded mock",
    ),
    Option("vouchers", "series", "A", "Voucher series for journal CSVs (must allow manual vouchers)"),
    Option("vouchers", "rounding_account", 3740, "Account of the rounding row (öres- och kronutjämning)"),
    Option(
        "vouchers",
        "rounding_tolerance",
        Decimal("1.00"),
        "A journal voucher off by at most this much (kronor) gets a rounding row; more is refused",
    ),
    Option("sie", "series", "file", "Voucher series in Fortnox: `file` (the file's own) or a series code"),
    Option("sie", "default_series", "A", "Series for vouchers that have none in the file"),
    Option("sie", "create_series", True, "Create a missing voucher series (open for manual vouchers)"),
    Option(
        "sie",
        "create_accounts",
        "used",
        "Create missing accounts from #KONTO: those the file uses (in a voucher or a balance), "
        "`all` it names, or `never`",
        ("used", "all", "never"),
    ),
    Option("sie", "reactivate_accounts", True, "Re-activate an inactive account that a voucher uses"),
    Option(
        "sie",
        "create_objects",
        "used",
        "Create missing cost centres (#DIM 1) and projects (#DIM 6): those the file uses, all, or none",
        ("used", "all", "never"),
    ),
    Option("sie", "create_financial_years", False, "Create a missing financial year from the file's #RAR"),
    Option(
        "sie",
        "org_number",
        "error",
        "A file whose #ORGNR is not this company's: refuse it (`error`), import it with a `warning`, "
        "or `ignore` it",
        ("error", "warning", "ignore"),
    ),
    Option(
        "limits",
        "csv_megabytes",
        50,
        "Largest CSV file read (invoices, journals, registers); a bigger one is refused unread",
    ),
    Option(
        "limits",
        "sie_megabytes",
        1024,
        "Largest SIE file read (read as a stream: the limit is for disk and time, not memory)",
    ),
    Option("limits", "xml_megabytes", 20, "Largest e-invoice XML read, attachments inside it included"),
    Option("limits", "pdf_megabytes", 50, "Largest PDF read"),
    Option(
        "limits", "csv_rows", 100_000, "Most rows of one CSV file; split a bigger export into several files"
    ),
    Option(
        "limits",
        "invoice_rows",
        1000,
        "Most rows of one invoice in a CSV file (Fortnox publishes no limit; one this long is "
        "more likely a missing invoice number)",
    ),
    Option(
        "undo",
        "voucher_date",
        "original",
        "`undo`: date a reversing voucher as the voucher it reverses (`original`) or the day of the "
        "undo (`today`, for an original in a period since locked)",
        ("original", "today"),
    ),
)

_BY_NAME = {(o.section, o.key): o for o in OPTIONS}
_GLOBAL_SECTIONS = frozenset({"folders", "watch", "exports", "limits", "ledger", "console", "workers"})


@dataclass(frozen=True)
class TenantSettings:
    """One company the bridge serves, with its effective options."""

    name: str
    values: Mapping[tuple[str, str], Any]

    def __getitem__(self, dotted: str) -> Any:
        section, _, key = dotted.partition(".")
        return self.values[(section, key)]

    @property
    def embedded(self) -> bool:
        return not self["fortnox.url"]


@dataclass(frozen=True)
class Settings:
    workdir: Path
    values: Mapping[tuple[str, str], Any]
    tenants: tuple[TenantSettings, ...]
    multi_tenant: bool = False
    source: Path | None = None
    notes: tuple[str, ...] = field(default=())
    # Folders as resolved once: every receipt and every file asks, and resolving walks the path
    # with a system call per part (thousands a second in a bureau).
    _resolved: dict[tuple[Path, str], Path] = field(default_factory=dict, compare=False, repr=False)

    def __getitem__(self, dotted: str) -> Any:
        section, _, key = dotted.partition(".")
        return self.values[(section, key)]

    def path(self, dotted: str) -> Path:
        key = (self.workdir, str(self[dotted]))
        resolved = self._resolved.get(key)
        if resolved is None:
            resolved = self._resolved[key] = (self.workdir / key[1]).resolve()
        return resolved

    @property
    def inbox(self) -> Path:
        return self.path("folders.inbox")

    @property
    def outbox(self) -> Path:
        return self.path("folders.outbox")

    @property
    def state_dir(self) -> Path:
        return self.path("folders.state")

    def tenant(self, name: str) -> TenantSettings:
        for tenant in self.tenants:
            if tenant.name == name:
                return tenant
        raise ConfigError(f"no tenant named {name!r}; configured: {', '.join(t.name for t in self.tenants)}")

    def outbox_of(self, tenant: str) -> Path:
        """Where the company's answers go (receipts, failed, archive, duplicates): its own
        `outbox/<company>/` when several are configured, unless `folders.shared_outbox`."""
        if self.multi_tenant and not self["folders.shared_outbox"]:
            return self.outbox / tenant
        return self.outbox

    def inbox_of(self, tenant: str) -> Path:
        return self.inbox / tenant if self.multi_tenant else self.inbox

    def tenant_for(self, path: Path, name: str | None = None) -> TenantSettings:
        """The company a file is for: the one named, the only one, or the one whose inbox holds it."""
        if name:
            return self.tenant(name)
        if not self.multi_tenant:
            return self.tenants[0]
        resolved = path.resolve()
        for candidate in self.tenants:
            if resolved.is_relative_to(self.inbox_of(candidate.name)):
                return candidate
        raise ConfigError(f"{path}: several companies are configured; say which one with --tenant")


def load_settings(
    workdir: Path | None = None, config_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    workdir = (workdir or Path.cwd()).resolve()
    environ = os.environ if environ is None else environ
    path = config_file or workdir / "bridge.toml"
    raw: dict[str, Any] = {}
    if config_file is not None or path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    tenant_tables = raw.pop("tenants", {})
    base = {key: option.default for key, option in _BY_NAME.items()}
    base.update(_from_table(raw, str(path), allow_global=True))
    base.update(_from_env(environ))
    if tenant_tables:
        if not isinstance(tenant_tables, dict):
            raise ConfigError(f"{path}: [tenants] must be tables like [tenants.acme]")
        tenants = tuple(
            TenantSettings(
                name, {**base, **_from_table(table, f"{path} [tenants.{name}]", allow_global=False)}
            )
            for name, table in tenant_tables.items()
        )
    else:
        tenants = (TenantSettings(DEFAULT_TENANT, dict(base)),)
    for tenant in tenants:
        _check_names(tenant.name)
    return Settings(
        workdir=workdir,
        values=base,
        tenants=tenants,
        multi_tenant=bool(tenant_tables),
        source=path if path.exists() else None,
    )


_DOC_HEAD = """\
# Configuration

<!-- Generated from `OPTIONS` in bridge/config.py by `make docs`; edit there, not here. -->

Without any configuration the bridge starts its built-in mock Fortnox with a demo company. To
talk to the real Fortnox, write `bridge.toml` in the working folder (or pass `--config`):

```toml
[fortnox]
url = "https://api.fortnox.se"
client_id = "your-integration-client-id"
tenant_id = "123456"            # the company's TenantId (DatabaseNumber), for a service account
# client_secret: set FORTNOX_CLIENT_SECRET in the environment rather than here
```

Every setting can also be given as an environment variable, which wins over the file:
`section.key` becomes `FORTNOX_SECTION_KEY`, and keys of `[fortnox]` drop the section name.
Several companies are `[tenants.NAME]` tables (see the README); each may set any setting of its
own except those marked *all companies*.

| setting | environment variable | default | meaning |
|---|---|---|---|
"""


def options_markdown() -> str:
    """docs/configuration.md: every option, its variable, default and meaning."""
    rows = []
    for option in OPTIONS:
        default = option.default
        shown = "empty" if default == "" else str(default).lower() if isinstance(default, bool) else default
        meaning = option.help
        if option.choices and "`" not in option.help:  # else the help names them already
            meaning += f" (one of {', '.join(f'`{c}`' for c in option.choices)})"
        if option.section in _GLOBAL_SECTIONS:
            meaning += "; *all companies*"
        rows.append(f"| `{option.section}.{option.key}` | `{option.env}` | `{shown}` | {meaning} |")
    return _DOC_HEAD + "\n".join(rows) + "\n"


def _check_names(name: str) -> None:
    if not name or name.startswith(".") or "/" in name or "\\" in name:
        raise ConfigError(f"tenant name {name!r} cannot be a folder name")


def _from_table(table: dict[str, Any], where: str, *, allow_global: bool) -> dict[tuple[str, str], Any]:
    values = {}
    for section, keys in table.items():
        if not isinstance(keys, dict):
            raise ConfigError(f"{where}: {section!r} must be a [section] with keys")
        if not allow_global and section in _GLOBAL_SECTIONS:
            raise ConfigError(f"{where}: [{section}] applies to all tenants and cannot be set per tenant")
        for key, value in keys.items():
            option = _BY_NAME.get((section, key))
            if option is None:
                raise ConfigError(f"{where}: unknown setting {section}.{key}")
            values[(section, key)] = _coerce(option, value, where)
    return values


def _from_env(environ: Mapping[str, str]) -> dict[tuple[str, str], Any]:
    return {key: _coerce(o, environ[o.env], o.env) for key, o in _BY_NAME.items() if o.env in environ}


def _coerce(option: Option, value: Any, where: str) -> Any:
    name = f"{option.section}.{option.key}"
    default = option.default
    try:
        if isinstance(default, bool):
            if isinstance(value, str):
                if value.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                    raise ValueError
                value = value.lower() in ("1", "true", "yes", "on")
            elif not isinstance(value, bool):
                raise ValueError
        elif isinstance(default, Decimal):
            if isinstance(value, bool):
                raise ValueError
            value = Decimal(str(value).strip().replace(",", "."))  # `0,50` as well as `0.50`
            if not value.is_finite() or value < 0:
                raise ValueError
        elif isinstance(default, int):
            value = int(value)
        elif isinstance(default, float):
            value = float(value)
        else:
            value = str(value)
    except (TypeError, ValueError, InvalidOperation):
        kind = "number" if isinstance(default, Decimal) else type(default).__name__
        raise ConfigError(f"{where}: {name} must be a {kind}, not {value!r}") from None
    if option.section == "limits" and value < 1:
        raise ConfigError(f"{where}: {name} must be at least 1, not {value!r}")
    if option.choices and value not in option.choices:
        raise ConfigError(f"{where}: {name} must be one of {', '.join(option.choices)}, not {value!r}")
    if name == "ledger.url" and value and not value.startswith(("postgresql://", "postgres://")):
        # Said here, before anything opens: a typo must not reach the database driver as a riddle.
        shown = value.split("://", 1)[0] + "://…" if "://" in value else value
        raise ConfigError(
            f"{where}: ledger.url must be empty (SQLite in the state folder) or a PostgreSQL URL,"
            f" postgresql://user@host/database, not {shown!r}"
        )
    return value


if __name__ == "__main__":
    print(options_markdown(), end="")
