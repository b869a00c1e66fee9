"""A spike alert email in its recipient's language (``Recipient.language``), over real SMTP."""

from __future__ import annotations

import re

from sqlmodel import select

from monitor.core import db
from monitor.core.models import Recipient
from monitor.notify import alerts
from tests.support.alerts import NOW, make_spike


def test_a_russian_recipient_gets_the_alert_in_russian_and_an_english_one_in_english(smtp):
    spike_id = make_spike(followers=("desk@example.org", "editor@example.org"))
    with db.session_scope() as session:
        session.exec(select(Recipient).where(Recipient.email == "desk@example.org")).one().language = "ru"

    assert alerts.send_spike_alerts([spike_id], now=NOW) == 2

    by_address = {envelope.rcpt_tos[0]: message for envelope, message in zip(smtp.envelopes, smtp.messages())}
    russian, english = by_address["desk@example.org"], by_address["editor@example.org"]
    assert russian["Subject"].startswith("Всплеск: Vladimir Vorontsov")
    text, html = russian.get_body(("plain",)).get_content(), russian.get_body(("html",)).get_content()
    assert "Период:" in text and "проверить:" in text and '<html lang="ru">' in html and ">открыть</a>" in html
    # The explanation, built in Python, in Russian too: no English words in the subject or the text.
    assert "упоминани" in russian["Subject"] and "обычно" in russian["Subject"]
    assert not re.search(r"\b(mentions?|usually|on)\b", russian["Subject"] + text.splitlines()[0]), text
    assert english["Subject"].startswith("Spike: Vladimir Vorontsov")
    assert "Window:" in english.get_body(("plain",)).get_content() and "mentions" in english["Subject"]
