"""Benchmark the people matcher (run by hand; never a timed test).

    .venv/bin/python bench/bench_match.py [--posts 100000] [--no-cli]

Generates, deterministically, 100,000 posts of about 300 characters (Russian and English
filler; about one post in twenty names somebody, in an inflected, transliterated or
look-alike-letter form) and watch lists of 10 and of 1,000 people with 3 aliases each
(Cyrillic full name, Cyrillic surname, Latin full name). For each list it times:

- ``match_lines`` — the code path of ``monitor match``: JSON parsing, matching, JSON out;
- a naive matcher (one compiled case-insensitive regex per alias, word boundaries) on a
  subset of the posts, extrapolated to posts/s (said so in the output);
- unless ``--no-cli``, one real ``monitor match`` subprocess over all posts (wall time
  includes interpreter start-up and building the automaton).

Targets (issue 3): ≥ 50,000 posts/s at 1,000 people; the 1,000-people run at most 2× the
10-people run; ≥ 100× the naive matcher.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from monitor.matching import Matcher, PersonNames, match_lines  # noqa: E402
from monitor.matching.expand import person_gender  # noqa: E402
from monitor.matching.inflect import phrase_forms  # noqa: E402
from monitor.matching.translit import latin_spellings  # noqa: E402

SEED = 20261123
ONSETS = ["б", "в", "г", "д", "з", "к", "л", "м", "н", "п", "р", "с", "т", "ф", "х", "ш", "ж", "ч"]
VOWELS = ["а", "о", "е", "и", "у"]
ENDINGS = ["ов", "ев", "ин", "ский", "енко", "ук", "ман"]
FIRST = ["Алексей", "Мария", "Илья", "Ольга", "Дмитрий", "Анна", "Сергей", "Елена", "Павел", "Ирина", "Олег", "Наталья"]
FILLER_RU = ("суд заседание приговор адвокат апелляция колония письмо акция митинг задержание новости сегодня "
             "вчера город правозащитники заявили власти сообщили источники известно решение пресс-служба").split()
FILLER_EN = ("court hearing sentence lawyer appeal colony letter protest rally detention news today yesterday "
             "city rights defenders said authorities reported sources known decision press office").split()


def make_people(count: int, rng: random.Random) -> list[PersonNames]:
    """``count`` invented people, each with a Cyrillic full name, its surname and a Latin full name."""
    people, seen = [], set()
    while len(people) < count:
        surname = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(rng.randint(2, 3)))
        surname = (surname + rng.choice(ENDINGS)).capitalize()
        first = rng.choice(FIRST)
        if surname in seen or (first[-1] == "а" and surname.endswith(("ский", "ов", "ев", "ин"))):
            continue
        seen.add(surname)
        latin = min((s for s in latin_spellings(f"{first} {surname}".lower()) if s.isascii()), key=len).title()
        people.append(PersonNames(latin, (f"{first} {surname}", surname, latin)))
    return people


def make_posts(count: int, people: list[PersonNames], rng: random.Random) -> list[str]:
    """``count`` JSON lines of ~300 characters; one in twenty names one of ``people``."""
    lines = []
    for i in range(count):
        filler = FILLER_RU if i % 2 else FILLER_EN
        words = [rng.choice(filler) for _ in range(40)]
        if i % 20 == 0:
            person = rng.choice(people)
            forms = sorted(phrase_forms(person.aliases[0], person_gender(person))) + [person.aliases[2]]
            words.insert(rng.randrange(len(words)), rng.choice(forms).title())
        text = " ".join(words)[:300]
        lines.append(json.dumps({"id": i, "text": text}, ensure_ascii=False))
    return lines


class NaiveMatcher:
    """The baseline: one compiled regex per alias, run over the raw text."""

    def __init__(self, people: list[PersonNames]):
        self.patterns = [(p.name, re.compile(rf"(?<!\w){re.escape(a)}(?!\w)", re.IGNORECASE)) for p in people for a in p.aliases]

    def people_in(self, text: str) -> list[str]:
        return list(dict.fromkeys(name for name, pattern in self.patterns if pattern.search(text)))


def time_ours(people: list[PersonNames], lines: list[str], repeat: int) -> tuple[float, float, int]:
    started = time.perf_counter()
    matcher = Matcher(people)
    built = time.perf_counter() - started
    best = float("inf")
    for _ in range(repeat):  # best of several: the machine may be shared
        started = time.perf_counter()
        named = sum(1 for out in match_lines(matcher, lines) if '"people": []' not in out)
        best = min(best, time.perf_counter() - started)
    return built, len(lines) / best, named


def time_naive(people: list[PersonNames], lines: list[str]) -> float:
    naive = NaiveMatcher(people)
    texts = [json.loads(line)["text"] for line in lines]
    started = time.perf_counter()
    for line, text in zip(lines, texts):
        json.loads(line)
        naive.people_in(text)
    return len(lines) / (time.perf_counter() - started)


def time_cli(people: list[PersonNames], lines: list[str]) -> tuple[float, float]:
    """Wall seconds of ``monitor match`` over ``lines``, and over one line (start-up and build)."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "people.toml"
        config.write_text("".join(f"[[person]]\nname = {json.dumps(p.name)}\naliases = {json.dumps(list(p.aliases), ensure_ascii=False)}\n\n"
                                  for p in people), encoding="utf-8")
        walls = []
        for batch in (lines, lines[:1]):
            posts = Path(tmp) / "posts.jsonl"
            posts.write_text("\n".join(batch) + "\n", encoding="utf-8")
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "monitor", "match", "--config", str(config), "--input", str(posts)],
                           check=True, stdout=subprocess.DEVNULL, cwd=tmp)
            walls.append(time.perf_counter() - started)
        return walls[0], walls[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--naive-posts", type=int, default=200_000, help="posts × people the naive matcher runs on")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of ours; the best is reported")
    parser.add_argument("--no-cli", action="store_true")
    args = parser.parse_args()
    rng = random.Random(SEED)
    crowd = make_people(1000, rng)
    lines = make_posts(args.posts, crowd, rng)
    results = {}
    for count in (10, 1000):
        people = crowd[:count]
        built, rate, named = time_ours(people, lines, args.repeat)
        subset = max(200, min(len(lines), args.naive_posts // count))
        naive = time_naive(people, lines[:subset])
        results[count] = rate
        print(f"{count:>5} people: built in {built:.2f} s; match_lines {rate:,.0f} posts/s ({named:,} posts name someone); "
              f"naive {naive:,.0f} posts/s (timed on {subset:,} posts) → ours is {rate / naive:,.0f}× faster")
        if not args.no_cli:
            wall, start_up = time_cli(people, lines)
            print(f"{'':>5}         monitor match subprocess: {len(lines):,} posts in {wall:.2f} s wall, of which "
                  f"{start_up:.2f} s start-up and build (one post): {len(lines) / (wall - start_up):,.0f} posts/s after start-up")
    print(f"1,000-people run takes {results[10] / results[1000]:.2f}× the 10-people run (target ≤ 2×)")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
