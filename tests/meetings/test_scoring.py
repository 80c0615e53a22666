"""Suggestion scores: each reason appears when, and only when, its condition holds; and the
reasons are spelled out in the viewer's language."""

import pytest
from babel.support import NullTranslations

from expo.meetings.scoring import InvestorFacts, Signals, Speller, TeamFacts, score, ticket_fits
from expo.meetings.vocab import DEFAULT_WEIGHTS
from i18n import Catalogs, Formatter

BASE_INVESTOR = InvestorFacts(user_id=1)
BASE_TEAM = TeamFacts(team_id=2, district_id=3, sector="biomedicine", funding_amount=20_000_000, funding_currency="CNY")


def codes(investor: InvestorFacts, team: TeamFacts = BASE_TEAM, signals: Signals = Signals()) -> list[str]:
    return [r.code for r in score(investor, team, signals).reasons]


def test_no_reason_without_any_common_ground() -> None:
    fit = score(BASE_INVESTOR, BASE_TEAM)
    assert (fit.score, fit.reasons) == (0, ())


@pytest.mark.parametrize(
    ("investor", "expected"),
    [
        (InvestorFacts(1, sectors=frozenset({"biomedicine"})), ["sector"]),
        (InvestorFacts(1, sectors=frozenset({"logistics"})), []),
        (InvestorFacts(1, stages=frozenset({"growth"})), []),  # the team has no stage
        (InvestorFacts(1, languages=frozenset({"ja"})), []),  # the team speaks nothing listed
        (InvestorFacts(1, regions=frozenset({3})), ["region"]),
        (InvestorFacts(1, regions=frozenset({4})), []),
    ],
)
def test_profile_reasons_hold_exactly_when_their_condition_does(investor: InvestorFacts, expected: list[str]) -> None:
    assert codes(investor) == expected


def test_stage_and_language_reasons() -> None:
    team = TeamFacts(2, 3, "x", stage="growth", languages=frozenset({"ja", "zh"}))
    assert codes(InvestorFacts(1, stages=frozenset({"growth"}), languages=frozenset({"ja", "en"})), team) == [
        "stage",
        "language",
    ]
    assert codes(InvestorFacts(1, stages=frozenset({"seed"}), languages=frozenset({"en"})), team) == []
    fit = score(InvestorFacts(1, languages=frozenset({"ja", "zh", "en"})), team)
    assert fit.reasons[0].params["languages"] == ("ja", "zh")


@pytest.mark.parametrize(
    ("low", "high", "fits"),
    [
        (2_000_000, 5_000_000, True),  # CNY 20 M = USD 2.8 M at 0.14: inside the range
        (100_000, 600_000, True),  # at least a fifth (USD 0.56 M) of the round
        (100_000, 500_000, False),  # less than a fifth
        (3_000_000, 10_000_000, False),  # the smallest ticket is above the whole round
        (None, None, False),
        (None, 1_000_000, True),
    ],
)
def test_ticket_fits_at_the_stated_rate(low: int | None, high: int | None, fits: bool) -> None:
    investor = InvestorFacts(1, ticket_min_usd=low, ticket_max_usd=high)
    assert ticket_fits(investor, BASE_TEAM) is fits
    assert ("ticket" in codes(investor)) is fits


def test_activity_reasons_and_their_points() -> None:
    assert codes(BASE_INVESTOR, signals=Signals(visits=5)) == ["visit"]
    assert codes(BASE_INVESTOR, signals=Signals(bookmarked=True)) == ["bookmark"]
    assert codes(BASE_INVESTOR, signals=Signals(chats=2)) == ["chat"]
    assert codes(BASE_INVESTOR, signals=Signals(visits=0, bookmarked=False, chats=0)) == []
    # visits count up to three
    assert score(BASE_INVESTOR, BASE_TEAM, Signals(visits=5)).score == 3 * DEFAULT_WEIGHTS["visit"]


def test_weights_are_the_organizers() -> None:
    investor = InvestorFacts(1, sectors=frozenset({"biomedicine"}))
    assert score(investor, BASE_TEAM, weights={"sector": 7.5}).score == 7.5
    assert score(investor, BASE_TEAM, weights={"sector": 0}).score == 0


def speller(locale: str, side: str = "investor") -> Speller:
    translations: NullTranslations = Catalogs().get(locale)
    return Speller(
        translations.gettext,
        translations.ngettext,
        Formatter(locale, "Asia/Tokyo"),
        lambda code: {"ja": "日本語" if locale == "ja" else "Japanese"}.get(code, code),
        lambda code: translations.gettext("Biomedicine"),
        lambda district_id: "Jinshan",
        side,
    )


def test_reasons_spelled_out_for_the_viewer() -> None:
    investor = InvestorFacts(
        1,
        sectors=frozenset({"biomedicine"}),
        ticket_min_usd=2_000_000,
        ticket_max_usd=5_000_000,
        languages=frozenset({"ja"}),
    )
    team = TeamFacts(2, 3, "biomedicine", 20_000_000, "CNY", languages=frozenset({"ja"}))
    fit = score(investor, team, Signals(visits=2))
    assert speller("en").all(fit, investor, team) == [
        "both in Biomedicine",
        "ticket $2M–$5M fits the CN¥20M sought",
        "you both speak Japanese",
        "you visited its booth 2 times",
    ]
    assert speller("en", "team").text(fit.reasons[-1], investor, team) == "visited your booth 2 times"
    japanese = speller("ja").all(fit, investor, team)
    assert all(text.isascii() is False for text in japanese)  # every reason translated
    assert "日本語" in japanese[2]


def test_quick_score_is_the_score_without_reasons() -> None:
    import random

    from expo.meetings.scoring import quick_score
    from expo.meetings.vocab import to_usd

    rng = random.Random(3)
    for _ in range(300):
        investor = InvestorFacts(
            1,
            sectors=frozenset(rng.sample(["biomedicine", "logistics", "software"], rng.randrange(3))),
            ticket_min_usd=rng.choice([None, 100_000, 2_000_000]),
            ticket_max_usd=rng.choice([None, 1_000_000, 10_000_000]),
            stages=frozenset(rng.sample(["seed", "growth"], rng.randrange(3))),
            regions=frozenset(rng.sample([3, 4], rng.randrange(3))),
            languages=frozenset(rng.sample(["en", "ja", "zh"], rng.randrange(4))),
        )
        team = TeamFacts(
            2,
            rng.choice([3, 4]),
            rng.choice(["biomedicine", "logistics"]),
            rng.choice([0, 20_000_000]),
            rng.choice(["CNY", "USD"]),
            rng.choice(["", "seed"]),
            frozenset(rng.sample(["en", "ja", "zh"], rng.randrange(4))),
        )
        signals = Signals(rng.randrange(5), rng.random() < 0.5, rng.randrange(2))
        sought = to_usd(team.funding_amount, team.funding_currency)
        assert quick_score(investor, team, signals, DEFAULT_WEIGHTS, sought) == score(investor, team, signals).score
