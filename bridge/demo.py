"""`make demo`: the bridge on its embedded mock with the demo company, fed the sample files."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

import click

from bridge.config import Settings, load_settings
from bridge.pipeline.ledger import LedgerTrouble
from bridge.pipeline.lock import LockHeld, StateLock
from bridge.pipeline.summary import results_table
from bridge.pipeline.watcher import Watcher
from bridge.runtime import open_bridge
from bridge.util.i18n import _, use_language

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "fixtures" / "samples"


def sample_files() -> list[Path]:
    """The files the demo drops, in name order; not the golden plan (`<name>.plan.json`)
    that lies beside each of them."""
    return [
        sample
        for sample in sorted(SAMPLES.iterdir())
        if sample.is_file() and not sample.name.startswith(".") and not sample.name.endswith(".plan.json")
    ]


@click.command()
@click.option("--once", is_flag=True, help="One round, then exit.")
def main(once: bool) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("httpx", "httpcore", "waitress", "watchdog"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Only the language may come from the environment: the demo always runs on the embedded mock.
    language = {k: v for k, v in os.environ.items() if k == "FORTNOX_UI_LANGUAGE"}
    settings = load_settings(REPO, environ=language)
    use_language(settings["ui.language"])
    if not settings.tenants[0].embedded:
        sys.exit("make demo runs on the embedded mock: move bridge.toml aside (it names a Fortnox URL).")
    try:
        with StateLock(settings.state_dir, "make demo"):
            _run(settings, once)
    except (LockHeld, LedgerTrouble) as exc:
        sys.exit(f"Error: {exc}")


def _run(settings: Settings, once: bool) -> None:
    with open_bridge(settings) as bridge:
        start = bridge.last_file_id()
        inbox = settings.inbox
        inbox.mkdir(parents=True, exist_ok=True)
        for sample in sample_files():
            # Like a well-behaved sender: write under a temporary name, then rename.
            tmp = inbox / f"{sample.name}.part"
            shutil.copyfile(sample, tmp)
            os.replace(tmp, inbox / sample.name)
            print(_("dropped %(file)s into %(inbox)s") % {"file": sample.name, "inbox": inbox})
        watcher = Watcher(bridge)
        watcher.run(once=True)
        text, _failed = results_table(bridge, bridge.files(after=start))
        print("\n" + text)
        print("\n" + _("Run the demo again and the same files are recognised as already sent."))
        if once:
            return
        print(
            "\n" + _("Still watching %(inbox)s: drop more files there. Stop with Ctrl-C.") % {"inbox": inbox}
        )
        try:
            Watcher(bridge).run()
        except KeyboardInterrupt:
            print("\n" + _("Stopped."))


if __name__ == "__main__":
    main()
