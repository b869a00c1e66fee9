"""What ``monitor poll --once`` shows: a progress bar on a terminal and a summary per source."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the results it prints; poller imports this module
    from monitor.ingest.poller import PollResult


class _Progress:
    """A rich progress bar on a terminal; nothing otherwise."""

    def __init__(self, enabled: bool, total: int):
        self._bar = None
        if enabled:
            from rich.progress import Progress

            self._bar = Progress(transient=True)
            self._task = self._bar.add_task("polling", total=total)

    def __enter__(self):
        if self._bar:
            self._bar.start()
        return self._advance

    def _advance(self, name: str) -> None:
        if self._bar:
            self._bar.update(self._task, advance=1, description=f"polled {name[:40]}")

    def __exit__(self, *exc):
        if self._bar:
            self._bar.stop()


def print_summary(results: list[PollResult]) -> None:
    """One line per source (fetched, new, duplicate, failed) and a total line."""
    for r in results:
        state = f"failed: {r.error}" if r.error else ("not modified" if r.not_modified else "ok")
        skipped = f", skipped {r.skipped} unreadable" if r.skipped else ""
        print(f"{r.name}: fetched {r.fetched}, new {r.new}, duplicate {r.duplicate}{skipped}, {state}")
    failed = sum(1 for r in results if r.error)
    print(
        f"total: {len(results)} sources, fetched {sum(r.fetched for r in results)}, "
        f"new {sum(r.new for r in results)}, duplicate {sum(r.duplicate for r in results)}, failed {failed}"
    )
