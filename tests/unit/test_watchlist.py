"""The TOML config: valid configs load, invalid ones stop with one line naming file, entry, problem."""

from __future__ import annotations

import pytest

from monitor.core.config_file import ConfigError, load_watchlist

GOOD = """
[[person]]
name = "Vladimir Vorontsov"
aliases = ["Владимир Воронцов", "Vorontsov"]
exclude = ["Vorontsov Palace"]
hashtags = ["#FreeVorontsov"]

[[source]]
url = "https://example.org/feed.xml"
name = "Example"
kind = "rss"

[[recipient]]
email = "desk@example.org"
people = ["Vladimir Vorontsov"]

[digest]
timezone = "Europe/Moscow"
send_at = "08:00"
"""


def _load(tmp_path, text: str):
    path = tmp_path / "monitor.toml"
    path.write_text(text, encoding="utf-8")
    return load_watchlist(path)


def test_it_loads_the_contract_example(tmp_path):
    watchlist = _load(tmp_path, GOOD)
    assert watchlist.people[0].all_names() == ["Vladimir Vorontsov", "Владимир Воронцов", "Vorontsov"]
    assert watchlist.sources[0].kind == "rss"
    assert watchlist.recipients[0].people == ["Vladimir Vorontsov"]
    assert watchlist.digest.timezone == "Europe/Moscow" and watchlist.digest.send_at.hour == 8


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('people = ["Vladimir Vorontsov"]', 'people = ["Ivan Petrov"]'),
            "recipient[1] (desk@example.org): people: unknown person 'Ivan Petrov'",
        ),
        (
            ('timezone = "Europe/Moscow"', 'timezone = "Mars/Olympus"'),
            "digest: timezone: unknown timezone 'Mars/Olympus'",
        ),
        (
            ('url = "https://example.org/feed.xml"', 'url = "ftp://example.org/x"'),
            "source[1] (Example): url: bad URL 'ftp://example.org/x'",
        ),
        (('send_at = "08:00"', 'send_at = "25:99"'), "digest: send_at:"),
        (('kind = "rss"', 'kind = "gopher"'), "source[1] (Example): kind: unknown kind 'gopher'"),
        (("[digest]", "[digest\n"), "not valid TOML"),
    ],
)
def test_an_invalid_config_names_file_entry_and_problem_in_one_line(tmp_path, change, expected):
    with pytest.raises(ConfigError) as raised:
        _load(tmp_path, GOOD.replace(*change))
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(str(tmp_path / "monitor.toml") + ": ")
    assert expected in message


def test_a_duplicate_person_name_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"person\[2\] \(Vladimir Vorontsov\): duplicate person name"):
        _load(tmp_path, GOOD + '\n[[person]]\nname = "Vladimir Vorontsov"\n')


def test_a_person_without_a_name_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"person\[2\]: name: Field required"):
        _load(tmp_path, GOOD + '\n[[person]]\naliases = ["x"]\n')


def test_a_missing_file_is_an_error_naming_it(tmp_path):
    with pytest.raises(ConfigError, match="nowhere.toml: file not found"):
        load_watchlist(tmp_path / "nowhere.toml")


@pytest.mark.parametrize(
    ("aliases", "expected"),
    [
        ('["Владимир Воронцов", ""]', "person[1] (Vladimir Vorontsov): aliases: entry 2 is empty"),
        ('["Владимир Воронцов", "   "]', "person[1] (Vladimir Vorontsov): aliases: entry 2 is empty"),
        ('["В"]', "person[1] (Vladimir Vorontsov): aliases: 'В' is too short to match"),
        ('["V."]', "person[1] (Vladimir Vorontsov): aliases: 'V.' is too short to match"),
    ],
)
def test_an_empty_or_one_letter_alias_is_refused_in_one_line(tmp_path, aliases, expected):
    with pytest.raises(ConfigError) as raised:
        _load(tmp_path, GOOD.replace('["Владимир Воронцов", "Vorontsov"]', aliases))
    assert "\n" not in str(raised.value) and expected in str(raised.value)


def test_the_same_person_twice_in_another_case_is_a_duplicate(tmp_path):
    with pytest.raises(ConfigError, match=r"person\[2\] \(vladimir  VORONTSOV\): duplicate person name"):
        _load(tmp_path, GOOD + '\n[[person]]\nname = "vladimir  VORONTSOV"\n')


def test_matching_keys_load_and_a_bad_gender_is_refused(tmp_path):
    extra = 'handles = ["@vorontsov"]\ncontext = ["полиц"]\ngender = "male"\n'
    person = _load(
        tmp_path, GOOD.replace('hashtags = ["#FreeVorontsov"]\n', 'hashtags = ["#FreeVorontsov"]\n' + extra)
    ).people[0]
    assert (person.hashtags, person.handles, person.context, person.gender) == (
        ["#FreeVorontsov"],
        ["@vorontsov"],
        ["полиц"],
        "m",
    )
    with pytest.raises(ConfigError, match=r"person\[1\] \(Vladimir Vorontsov\): gender: unknown gender 'x'"):
        _load(tmp_path, GOOD.replace('hashtags = ["#FreeVorontsov"]\n', 'gender = "x"\n'))
