"""What a company lets the bridge do, and what a person must do when it is not enough.

`check_access` asks Fortnox the way the bridge will work: get a token (is the company
connected, is the secret right?), compare the scopes granted with what the enabled flows
need, and read one cheap list per scope (does the company own the module? Fortnox answers
2001101 when it does not). Every problem becomes a `Notice`: one sentence a business owner
understands and the one thing to run or do about it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bridge.fortnox.client import FortnoxClient
from bridge.fortnox.errors import ConnectionRefused, FortnoxError
from bridge.fortnox.scopes import MODULES, PROBES, Flow
from bridge.util.i18n import N_

__all__ = ["AccessCheck", "Notice", "check_access", "connect_command", "notice_for"]

CHECK_AGAIN = "fortnox-bridge tenants"


@dataclass(frozen=True)
class Notice:
    problem: str  # a ConnectionRefused problem: not_connected, secret, consent, licence, scope, api_licence
    message: str  # what happened, for a person
    command: str  # what to run or do about it
    scope: str = ""
    flows: tuple[str, ...] = ()  # the flows that wait; empty: the whole company waits

    @property
    def whole_company(self) -> bool:
        return not self.flows

    def to_json(self) -> dict[str, object]:
        return {
            "problem": self.problem,
            "message": self.message,
            "command": self.command,
            "scope": self.scope,
            "flows": list(self.flows),
        }

    @classmethod
    def from_json(cls, data: dict) -> Notice:
        return cls(
            data["problem"],
            data["message"],
            data["command"],
            data.get("scope", ""),
            tuple(data.get("flows", ())),
        )


def connect_command(tenant: str | None, *, personal: bool = False) -> str:
    words = ["fortnox-bridge connect"]
    if tenant:
        words.append(f"--tenant {tenant}")
    if personal:
        words.append("--personal")
    return " ".join(words)


def notice_for(
    error: ConnectionRefused,
    tenant: str | None,
    *,
    company: str = "",
    personal: bool = False,
    flows: Iterable[Flow] = (),
) -> Notice:
    """The sentence and the command for a refusal. `tenant` None: the bridge's only company.
    `flows`: those that need the refused scope (for a licence or scope problem)."""
    who = company or tenant or N_("the company")
    connect = connect_command(tenant, personal=personal)
    module = MODULES.get(error.scope, error.scope)
    waiting = [f for f in flows if error.scope in f.scopes]
    what = ", ".join(f.label for f in waiting) or N_("files that need it")
    # Kept in English in the ledger and translated when read (`translate_message`).
    values = {
        "who": who,
        "connect": connect,
        "module": module,
        "what": what,
        "error": error.message,
        "scope": error.scope,
        "check": CHECK_AGAIN,
    }
    if error.problem == "not_connected":
        return Notice(
            error.problem,
            N_("%(who)s is not connected to Fortnox yet; its files wait in the queue.") % values,
            N_("%(connect)s  (its Fortnox administrator approves in the browser)") % values,
        )
    if error.problem == "secret":
        return Notice(
            error.problem,
            N_(
                "Fortnox refused the integration's client secret (%(error)s); nothing is sent for"
                " %(who)s, files wait in the queue."
            )
            % values,
            N_(
                "put the integration's current client secret (Fortnox Developer Portal) in"
                " FORTNOX_CLIENT_SECRET, restart the bridge, and run `%(connect)s` if Fortnox still refuses"
            )
            % values,
        )
    if error.problem == "consent":
        return Notice(
            error.problem,
            N_(
                "Fortnox no longer accepts the bridge's consent for %(who)s (%(error)s): it was"
                " revoked in Fortnox, or it expired. Files wait in the queue."
            )
            % values,
            connect,
        )
    if error.problem == "api_licence":
        return Notice(
            error.problem,
            N_(
                "%(who)s has no integration licence in Fortnox (\u201c%(error)s\u201d); nothing can be sent,"
                " files wait in the queue."
            )
            % values,
            N_("order the integration licence in Fortnox, then run `%(check)s`") % values,
        )
    if error.problem == "licence":
        return Notice(
            error.problem,
            N_(
                "%(who)s has no licence for %(module)s in Fortnox, so %(what)s cannot be sent; those files"
                " wait in the queue."
            )
            % values,
            N_("order %(module)s in Fortnox, then run `%(check)s`") % values,
            error.scope,
            tuple(f.name for f in waiting),
        )
    return Notice(
        error.problem,
        N_(
            "The consent for %(who)s does not include %(module)s (scope %(scope)s), so %(what)s cannot be"
            " sent; those files wait in the queue."
        )
        % values,
        N_(
            "add the scope %(scope)s to the integration in Fortnox's Developer Portal if it is missing"
            " there, then run `%(connect)s`"
        )
        % values,
        error.scope,
        tuple(f.name for f in waiting),
    )


@dataclass(frozen=True)
class AccessCheck:
    tenant: str
    connection: Notice | None = None  # a problem of the whole company; None: connected
    scopes: tuple[str, ...] = ()  # granted to the token (empty when Fortnox did not say)
    licences: dict[str, bool] = field(default_factory=dict)  # scope → the company has the module
    blocked: tuple[Notice, ...] = ()  # flows that wait, each with its notice
    tenant_id: str = ""
    company: str = ""
    organisation_number: str = ""

    @property
    def state(self) -> str:
        if self.connection is None:
            return "connected"
        return "not connected" if self.connection.problem == "not_connected" else "reconnect needed"

    @property
    def notices(self) -> tuple[Notice, ...]:
        return ((self.connection,) if self.connection else ()) + self.blocked


def check_access(
    client: FortnoxClient,
    tenant: str | None,
    flows: Iterable[Flow],
    *,
    personal: bool = False,
    probe: bool = True,
    company: str = "",
) -> AccessCheck:
    """Token, scopes, licences. Raises only when Fortnox cannot be reached (`FortnoxUnreachable`
    and other transient errors): then nothing is known. `company`: its name as last known, for
    the sentences when Fortnox refuses to say."""
    flows = tuple(flows)
    name = tenant or ""
    try:
        client.tokens.access_token()
    except ConnectionRefused as error:
        return AccessCheck(name, notice_for(error, tenant, company=company, personal=personal))
    granted = tuple(client.tokens.scopes)
    needed = sorted({s for flow in flows for s in flow.scopes})
    info: dict = {}  # the company as Fortnox describes it
    licences: dict[str, bool] = {}
    refused: dict[str, ConnectionRefused] = {}
    for scope in needed:
        if not probe:
            if granted and scope not in granted:
                refused[scope] = ConnectionRefused("not granted", problem="scope", scope=scope)
            continue
        try:  # even a scope not granted: Fortnox tells a missing licence (the first gate) apart
            answer = client.get(PROBES[scope])
        except ConnectionRefused as error:
            if error.whole_company:
                return AccessCheck(
                    name, notice_for(error, tenant, company=company, personal=personal), granted
                )
            refused[scope] = ConnectionRefused(error.message, problem=error.problem, scope=scope)
            licences[scope] = error.problem != "licence"
            continue
        except FortnoxError as error:
            if error.transient:
                raise
            answer = None  # the resource answered (a 4xx of its own): the module is there
        licences[scope] = True
        if scope == "companyinformation" and isinstance(answer, dict):
            info = answer.get("CompanyInformation", {})
    if not info and probe and "companyinformation" not in refused:
        info = _company(client)
    who = info.get("CompanyName", "") or company
    blocked = tuple(
        notice_for(error, tenant, company=who, personal=personal, flows=flows) for error in refused.values()
    )
    return AccessCheck(
        name,
        None,
        granted,
        licences,
        blocked,
        tenant_id=str(info.get("DatabaseNumber", "")),
        company=who,
        organisation_number=info.get("OrganizationNumber", ""),
    )


def _company(client: FortnoxClient) -> dict:
    try:
        return client.get("/3/companyinformation").get("CompanyInformation", {})
    except ConnectionRefused:
        return {}
