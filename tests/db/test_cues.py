"""The cards' cue hint and the digest's solidarity highlights follow one rule: a post the
digest says is solidarity (highlighted, or marked among the top stories) is hinted
"solidarity" on its card, and no other is.
SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from monitor.core import db
from monitor.core.models import Mention, Source, utcnow
from monitor.entry.demo import BURST_EN, BURST_RU
from monitor.review.cues import solidarity_cue, solidarity_sql, suggest_label
from tests.support.digest import bodies, make_mention, make_person, make_recipient, make_source, send

DEMO_BURST_EN = BURST_EN.format(en="Vladimir Vorontsov")
DEMO_BURST_RU = BURST_RU.format(ru="Владимир Воронцов")
HEARING = "Court extends custody of Vladimir Vorontsov for another three months"


def test_the_demos_solidarity_posts_are_hinted_solidarity_not_news():
    assert suggest_label(DEMO_BURST_EN)[0] == "solidarity"
    assert suggest_label(DEMO_BURST_RU)[0] == "solidarity"
    assert suggest_label(HEARING)[0] == "news"


def test_what_the_card_hints_as_solidarity_is_what_the_digest_says_is_solidarity(smtp):
    """The digest says solidarity by a highlight or, for a top story, by a mark on it."""
    person, source = make_person(), make_source()
    titles = (DEMO_BURST_EN, DEMO_BURST_RU, HEARING, "СОЛИДАРНОСТЬ с Воронцовым", "Воронцова перевели в другое СИЗО")
    for title in titles:
        make_mention(source, [person], title=title)
    make_recipient()
    send()
    [(_, text, _)] = bodies(smtp, "desk@example.org")
    top, highlighted = text[: text.index("Solidarity:")], text[text.index("Solidarity:") :]
    for title in titles:
        card_says_solidarity = (suggest_label(title) or ("",))[0] == "solidarity"
        marked = f"{title} [solidarity]" in top
        assert (title in highlighted or marked) == card_says_solidarity, title
        assert text.count(title) <= 1, title  # the last is neither a top story (three) nor solidarity


_PIECES = st.sampled_from(
    [
        "Solidarity",
        "SOLIDARITY",
        "solidarn",
        "#Free",
        "#FREEdom",
        "free ",
        "Free\u00a0",
        "Stand With",
        "standwith",
        "SUPPORT",
        "Release",
        "солидарн",
        "Солидарн",
        "СОЛИДАРН",
        "свобод",
        "Свободу ",
        "поддерж",
        "сторонник",
        "СОЛІДАРН",
        "ПідТрим",
        "прихильник",
        "Freedom For",
        "Поддержка",
        "ПОДДЕРЖ",
        "court",
        "приговор",
        " ",
        "%",
        "_",
        "\\",
        "İ",
        "ß",
        "Vorontsov",
        "Воронцов",
        "sup",
        "port",
    ]
)


@hsettings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.lists(_PIECES, max_size=5).map("".join), min_size=1, max_size=25))
def test_the_python_rule_and_the_sql_rule_agree_on_any_text(db_url, texts):
    with db.session_scope(db_url) as session:
        source = Source(url=f"https://example.org/{uuid.uuid4().hex}", name="x")
        session.add(source)
        session.flush()
        rows = [
            Mention(source_id=source.id, guid=uuid.uuid4().hex, title=t, text="", fetched_at=utcnow()) for t in texts
        ]
        session.add_all(rows)
        session.flush()
        ids = [m.id for m in rows]
        flagged = set(
            session.execute(sa.select(Mention.id).where(Mention.id.in_(ids), solidarity_sql(Mention.title))).scalars()
        )
        session.execute(sa.delete(Mention).where(Mention.id.in_(ids)))
        session.delete(source)
    for mention_id, text in zip(ids, texts):
        assert (mention_id in flagged) == (solidarity_cue(text) is not None), text
