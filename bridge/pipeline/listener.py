"""The one connection to Fortnox's topics for every company of an integration: it registers
the companies, listens to the topics their exports need from the offsets the ledger committed,
and hands each event to the company's worker through the service (`Bridge.receive_live`).

It is its own thread and never writes an export, so it keeps listening whatever a company's
worker is doing (and whatever runs the workers). The safety net:

- on start and after every reconnect, each company gets a `lastmodified` sweep: events missed
  while nobody listened (or that Fortnox does not publish) are found that way;
- an offset Fortnox no longer keeps (older than about 14 days, or replay beginning elsewhere
  than at the offset given) is said in the log and swept for;
- access tokens are asked for again every `TOKEN_CHECK_SECONDS`; a token source renews its
  token a minute before it expires, and a new token is handed to the open connection
  (`add-tenants-v1` again), so the connection never holds an expired one;
- a company whose token cannot be had, or that Fortnox refuses, or that lacks the scopes its
  exports need, is left out with a notice (`status` shows it) and tried again later; the others
  go on.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bridge.exporters.live import SCOPES
from bridge.fortnox import FortnoxError, TokenSource
from bridge.fortnox.topics import TopicEvent, TopicsConnection, TopicsError, TopicsGone
from bridge.pipeline.service import Bridge

__all__ = ["LiveCompany", "LiveListener", "stream_name"]

log = logging.getLogger("bridge.live")

TOKEN_CHECK_SECONDS = 30.0
RETRY_REFUSED_SECONDS = 600.0  # a company Fortnox refused is asked for again this seldom
RECONNECT_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
KEPT = timedelta(days=14)  # how far back Fortnox replays (page "WebSockets": two weeks)
KEPT_MARGIN = timedelta(hours=6)
BATCH = 200  # events handed over at once at most
REGISTER_BATCH = 50  # tokens per add-tenants-v1


@dataclass(frozen=True)
class LiveCompany:
    name: str
    tokens: TokenSource
    topics: tuple[str, ...]


@dataclass
class _Seen:
    company: LiveCompany
    topics: tuple[str, ...] = ()
    token: str = ""
    tenant_id: int | None = None
    retry_at: float = 0.0
    left_out: str = ""  # why, while it is


def stream_name(url: str, client_secret: str) -> str:
    """The connection's name in the ledger: one per integration and address, never the secret."""
    return hashlib.sha256(f"{url}\n{client_secret}".encode()).hexdigest()[:12]


class LiveListener:
    def __init__(
        self,
        bridge: Bridge,
        url: str,
        client_secret: str,
        companies: Sequence[LiveCompany],
        *,
        wake: Callable[[str], None],
        stop: threading.Event,
    ) -> None:
        self.bridge = bridge
        self.url = url
        self.client_secret = client_secret
        self.stream = stream_name(url, client_secret)
        self.wake = wake
        self.stop = stop
        self._seen = {c.name: _Seen(c) for c in companies}
        self.connected = threading.Event()  # tests and status: subscribed now

    # --- the loop ------------------------------------------------------------------------

    def run(self) -> None:
        reason, attempt = "start", 0
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                self._session(reason)
                return
            except (TopicsGone, TopicsError, OSError) as exc:
                why = str(exc)
            except Exception as exc:  # whatever it was, the listener lives on and the sweep covers it
                log.exception("live: the listener failed")
                why = f"{type(exc).__name__}: {exc}"
            finally:
                self.connected.clear()
                for seen in self._seen.values():
                    self.bridge.live.set_live(seen.company.name, False)
            attempt = 0 if time.monotonic() - started > 60 else attempt + 1
            wait = RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)]
            log.warning(
                "live: the connection to %s is lost (%s); reconnecting in %.0f s, then a lastmodified sweep fills the gap",
                self.url,
                why,
                wait,
            )
            reason = f"reconnected after: {why}"
            self.stop.wait(wait)

    def _session(self, reason: str) -> None:
        kept_since = datetime.now().astimezone() - KEPT - timedelta(days=1)
        self.bridge.ledger.forget_live_before(kept_since.isoformat(timespec="seconds"))
        with TopicsConnection(self.url, self.client_secret) as connection:
            for seen in self._seen.values():
                seen.token, seen.tenant_id, seen.retry_at = "", None, 0.0
            self._register(connection, list(self._seen.values()))
            live = [s for s in self._seen.values() if s.tenant_id is not None]
            topics = {t for s in live for t in s.topics}
            offsets = self.bridge.ledger.live_offsets(self.stream)
            expected: dict[str, str] = {}
            for topic in sorted(topics):
                committed = offsets.get(topic)
                if committed is None:
                    continue
                expected[topic] = committed.offset
                if _older_than_kept(committed.event_time):
                    self._expired(topic, committed.offset, f"its event is from {committed.event_time}")
            invalid = connection.add_topics({t: expected.get(t) for t in sorted(topics)})
            if invalid:
                log.warning(
                    "live: Fortnox does not know the topics %s; their exports keep their schedule", invalid
                )
            connection.subscribe()
            self.connected.set()
            log.info(
                "live: listening to %s for %d compan%s on %s",
                ", ".join(sorted(set(topics) - set(invalid))) or "nothing",
                len(live),
                "y" if len(live) == 1 else "ies",
                self.url,
            )
            for seen in live:
                self._went_live(seen, reason)
            self._listen(connection, expected)

    def _listen(self, connection: TopicsConnection, expected: dict[str, str]) -> None:
        next_check = time.monotonic() + TOKEN_CHECK_SECONDS
        by_id = {s.tenant_id: s for s in self._seen.values() if s.tenant_id is not None}
        while not self.stop.is_set():
            if time.monotonic() >= next_check:
                self._check_tokens(connection)
                by_id = {s.tenant_id: s for s in self._seen.values() if s.tenant_id is not None}
                next_check = time.monotonic() + TOKEN_CHECK_SECONDS
            event = connection.receive(timeout=min(1.0, max(next_check - time.monotonic(), 0.01)))
            batch: list[TopicEvent] = []
            while event is not None:
                batch.append(event)
                if len(batch) >= BATCH:
                    break
                event = connection.receive(timeout=0)
            if batch:
                self._hand_over(batch, by_id, expected)

    def _hand_over(self, batch: list[TopicEvent], by_id: dict[int, _Seen], expected: dict[str, str]) -> None:
        for event in batch:
            offset = expected.pop(event.topic, None)
            if offset is not None and event.offset != offset:  # replay did not begin where asked
                self._expired(event.topic, offset, f"replay began at {event.offset}")
        addressed: list[tuple[str | None, TopicEvent]] = []
        for event in batch:
            seen = by_id.get(event.tenant_id)
            wanted = seen is not None and event.topic in seen.topics
            addressed.append((seen.company.name if seen and wanted else None, event))
        for tenant in self.bridge.receive_live(self.stream, addressed):
            self.wake(tenant)

    def _expired(self, topic: str, offset: str, evidence: str) -> None:
        log.warning(
            "live: Fortnox no longer keeps offset %s of topic %s (%s); a lastmodified sweep fills the gap",
            offset,
            topic,
            evidence,
        )
        for seen in self._seen.values():
            if topic in seen.topics and seen.tenant_id is not None:
                self.bridge.live.request_sweep(seen.company.name, f"offset {offset} of {topic} expired")
                self.wake(seen.company.name)

    # --- companies and their tokens ------------------------------------------------------

    def _register(self, connection: TopicsConnection, candidates: list[_Seen]) -> None:
        """Add these companies (those whose token can be had and has the scopes) to the connection."""
        ready: dict[str, _Seen] = {}
        for seen in candidates:
            token = self._token(seen)
            if token is not None:
                ready[token] = seen
        tokens = list(ready)
        for start in range(0, len(tokens), REGISTER_BATCH):
            answer = connection.add_tenants(tokens[start : start + REGISTER_BATCH])
            if answer.refused:  # the integration itself: waiting a few seconds changes nothing
                for token in tokens[start : start + REGISTER_BATCH]:
                    self._leave_out(
                        ready[token],
                        f"Fortnox refused the integration on the topics connection ({answer.refused}); "
                        "check fortnox.client_secret (FORTNOX_CLIENT_SECRET)",
                        RETRY_REFUSED_SECONDS,
                    )
                continue
            for token, tenant_id in answer.tenant_ids.items():
                seen = ready[token]
                seen.token, seen.tenant_id = token, tenant_id
                self._clear_notice(seen)
            for token in answer.invalid_tokens:
                seen = ready[token]
                seen.company.tokens.invalidate(token)
                self._leave_out(
                    seen, "Fortnox refused its access token for live updates", RETRY_REFUSED_SECONDS
                )

    def _token(self, seen: _Seen) -> str | None:
        name = seen.company.name
        allowed, why = self.bridge.live_allowed(name)
        if not allowed:
            self._leave_out(seen, why, TOKEN_CHECK_SECONDS)
            return None
        try:
            token = seen.company.tokens.access_token()
        except FortnoxError as error:
            self._leave_out(
                seen,
                f"no access token: {error}",
                TOKEN_CHECK_SECONDS if error.transient else RETRY_REFUSED_SECONDS,
            )
            return None
        except Exception as error:  # a connection refused for good (reconnect needed) and the like
            self._leave_out(seen, f"no access token: {error}", RETRY_REFUSED_SECONDS)
            return None
        scopes = set(getattr(seen.company.tokens, "scopes", ()) or ())
        topics = tuple(t for t in seen.company.topics if not scopes or SCOPES.get(t, "") in scopes)
        missing = sorted({SCOPES[t] for t in seen.company.topics if t not in topics})
        if not topics:
            self._leave_out(
                seen, f"its connection lacks the scope {', '.join(missing)}", RETRY_REFUSED_SECONDS
            )
            return None
        if missing:
            self.bridge.ledger.notice(
                f"live-scope:{name}",
                f"{name}: live updates leave out {', '.join(sorted(set(seen.company.topics) - set(topics)))}: "
                f"the connection lacks the scope {', '.join(missing)}; those exports keep their schedule",
                name,
            )
        seen.topics = topics
        return token

    def _check_tokens(self, connection: TopicsConnection) -> None:
        """Hand renewed tokens to the connection; take back companies that were left out."""
        renewed: list[_Seen] = []
        for seen in self._seen.values():
            if seen.tenant_id is None and time.monotonic() < seen.retry_at:
                continue
            was = seen.tenant_id
            token = self._token(seen)
            if token is None:
                if was is not None:  # disconnected while live: off the connection, with a notice
                    connection.remove_tenants([was])
                continue
            if token != seen.token:
                renewed.append(seen)
        if not renewed:
            return
        newcomers = [s for s in renewed if s.tenant_id is None]
        self._register(connection, renewed)
        for seen in renewed:
            if seen in newcomers and seen.tenant_id is not None:
                topics = {
                    t
                    for s in self._seen.values()
                    if s is not seen and s.tenant_id is not None
                    for t in s.topics
                }
                missing = [t for t in seen.topics if t not in topics]
                if missing:
                    connection.add_topics(dict.fromkeys(missing))
                self._went_live(seen, "joined the open connection")
        if len(renewed) > len(newcomers):
            log.info("live: %d access token(s) renewed on the open connection", len(renewed) - len(newcomers))

    def _went_live(self, seen: _Seen, reason: str) -> None:
        name = seen.company.name
        self.bridge.live.set_live(name, True)
        self.bridge.live.request_sweep(name, reason)
        self.wake(name)

    def _leave_out(self, seen: _Seen, why: str, retry_seconds: float) -> None:
        name = seen.company.name
        seen.tenant_id, seen.token = None, ""
        seen.retry_at = time.monotonic() + retry_seconds
        message = f"{name} is left out of live updates: {why}; its exports keep their schedule"
        if why != seen.left_out:
            log.warning("live: %s", message)
        seen.left_out = why
        self.bridge.ledger.notice(f"live:{name}", message, name)
        self.bridge.live.set_live(name, False)

    def _clear_notice(self, seen: _Seen) -> None:
        if seen.left_out:
            log.info("live: %s is back on the live connection", seen.company.name)
        seen.left_out = ""
        self.bridge.ledger.clear_notice(f"live:{seen.company.name}")


def _older_than_kept(event_time: str) -> bool:
    try:
        when = datetime.fromisoformat(event_time)
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.astimezone()
    return datetime.now().astimezone() - when > KEPT - KEPT_MARGIN
