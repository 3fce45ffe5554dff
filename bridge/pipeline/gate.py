"""Which companies, and which of their flows, wait for a person: the connection told truthfully.

A refused secret, a revoked consent, a company not connected yet, a missing licence or scope:
waiting will not change any of them, so they are not "temporary, retrying". The gate puts the
company (or only the flows that need the missing module) into a waiting state with the sentence
and the command from `bridge.fortnox.access`, keeps it in the ledger where `status`,
`tenants` and other processes see it, and says it once in the log. Documents stay queued and
are never counted as failures.

Sending resumes on its own: the ledger's access version grows whenever `connect` or
`tenants` records a new check, and a waiting company looks at it every few seconds (a local
read, no call to Fortnox). Once in a while (`RECHECK_SECONDS`) it also tries Fortnox again,
and says so, for a licence bought without anyone running `tenants`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bridge.fortnox.access import AccessCheck, Notice, notice_for
from bridge.fortnox.errors import ConnectionRefused
from bridge.fortnox.scopes import FLOWS, Flow, flow_of_kind
from bridge.pipeline.ledger import Ledger

__all__ = ["POLL_SECONDS", "RECHECK_SECONDS", "AccessGate"]

log = logging.getLogger("bridge")

POLL_SECONDS = 2.0  # how often a waiting company looks for a reconnect (in the ledger)
RECHECK_SECONDS = 600.0  # how often it asks Fortnox again all the same

_KINDS = {flow.name: flow.kinds for flow in FLOWS}


@dataclass
class _Seen:
    version: int = -1
    state: str = "connected"
    whole: Notice | None = None
    kinds: frozenset[str] = frozenset()
    recheck_at: float = 0.0
    looked_at: float = float("-inf")  # when the ledger's version was last read
    logged: set[str] = field(default_factory=set)


class AccessGate:
    def __init__(
        self, ledger: Ledger, *, multi_tenant: bool = True, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ledger = ledger
        self.multi_tenant = multi_tenant  # with one company, commands need no --tenant
        self._clock = clock
        self._seen: dict[str, _Seen] = {}

    # --- what the sender asks --------------------------------------------------------------

    def may_send(self, tenant: str) -> bool:
        """False while the whole company waits for a person and nothing has changed since."""
        seen = self._refresh(tenant)
        if seen.whole is None:
            return True
        if self._clock() >= seen.recheck_at:
            seen.recheck_at = self._clock() + RECHECK_SECONDS
            log.info("%s: asking Fortnox again whether it lets the bridge in", tenant)
            return True
        return False

    def stopped(self, tenant: str) -> bool:
        """Whether the whole company waits for a person (no side effects)."""
        return self._refresh(tenant).whole is not None

    def waiting_kinds(self, tenant: str) -> frozenset[str]:
        """Document kinds whose flow lacks a licence or a scope."""
        return self._refresh(tenant).kinds

    def waiting(self, tenant: str) -> bool:
        seen = self._refresh(tenant)
        return seen.whole is not None or bool(seen.kinds)

    # --- what the sender tells ---------------------------------------------------------------

    def refused(
        self, tenant: str, error: ConnectionRefused, *, personal: bool = False, kind: str = ""
    ) -> Notice:
        """Fortnox refused the company (or a flow of it) while sending."""
        flow = flow_of_kind(kind)
        flows: tuple[Flow, ...] = FLOWS
        if not error.whole_company and flow is not None and error.scope not in flow.scopes:
            flows = (
                *FLOWS,
                _flow_of(flow, error.scope),
            )  # a scope the table did not foresee: that flow waits
        current = self.ledger.access(tenant)
        company = ((current or {}).get("checked") or {}).get("company", "")
        name = tenant if self.multi_tenant else None
        notice = notice_for(error, name, company=company, personal=personal, flows=flows)
        notices = [Notice.from_json(n) for n in (current or {}).get("notices", [])]
        if notice.whole_company:
            notices = [n for n in notices if not n.whole_company] + [notice]
        else:
            notices = [n for n in notices if n.whole_company or n.scope != notice.scope] + [notice]
        self._record(tenant, notices)
        return notice

    def sent(self, tenant: str) -> None:
        """A call went through: a whole-company wait is over."""
        seen = self._refresh(tenant)
        if seen.whole is not None or seen.state != "connected":
            current = self.ledger.access(tenant) or {}
            flows = [Notice.from_json(n) for n in current.get("notices", []) if n.get("flows")]
            self._record(tenant, flows)
            log.warning("%s: Fortnox lets the bridge in again; sending what waited", tenant)

    def checked(self, tenant: str, check: AccessCheck) -> None:
        """A fresh look at the company (`connect`, `tenants`, the start of `watch`)."""
        details = {
            "scopes": list(check.scopes),
            "licences": check.licences,
            "company": check.company,
            "organisation_number": check.organisation_number,
            "tenant_id": check.tenant_id,
        }
        self._record(tenant, list(check.notices), details)

    # --- the ledger ------------------------------------------------------------------------

    def _record(self, tenant: str, notices: list[Notice], checked: dict[str, Any] | None = None) -> None:
        whole = next((n for n in notices if n.whole_company), None)
        state = "connected" if whole is None else _state_of(whole)
        self.ledger.record_access(tenant, state, [n.to_json() for n in notices], checked)
        seen = self._refresh(tenant, fresh=True)
        for notice in notices:
            key = f"{state}|{notice.message}"
            if key not in seen.logged:
                seen.logged.add(key)
                log.warning(
                    "%s: %s — %s Run: %s",
                    tenant,
                    state if whole else "waiting",
                    notice.message,
                    notice.command,
                )

    def _refresh(self, tenant: str, *, fresh: bool = False) -> _Seen:
        """What the ledger says of the company, read again every `POLL_SECONDS` (`fresh`: now).
        Every call asks the gate; a read per call was most of a bureau's reads of the ledger."""
        seen = self._seen.setdefault(tenant, _Seen())
        now = self._clock()
        if not fresh and now - seen.looked_at < POLL_SECONDS:
            return seen
        seen.looked_at = now
        version = self.ledger.access_version(tenant)
        if version == seen.version:
            return seen
        access = self.ledger.access(tenant)
        notices = [Notice.from_json(n) for n in (access or {}).get("notices", [])]
        whole = next((n for n in notices if n.whole_company), None)
        seen.version = version
        seen.state = access["state"] if access else "connected"
        if whole is not None and seen.whole is None:
            seen.recheck_at = self._clock() + RECHECK_SECONDS
        seen.whole = whole
        seen.kinds = frozenset(k for n in notices for flow in n.flows for k in _KINDS.get(flow, ()))
        if whole is None:
            seen.logged = {key for key in seen.logged if not key.startswith(("reconnect", "not connected"))}
        return seen


def _state_of(notice: Notice) -> str:
    return "not connected" if notice.problem == "not_connected" else "reconnect needed"


def _flow_of(flow: Flow, scope: str) -> Flow:
    return Flow(flow.name, flow.label, flow.kinds, (*flow.scopes, scope))
