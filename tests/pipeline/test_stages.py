"""The stage rules as data: each requirement, reported all at once."""

from datetime import date

from expo.pipeline.stages import REQUIRED_FROM, STAGES, Facts, is_skip, validate

COMPLETE = Facts(
    investor_company="Tokyo Bay",
    investor_country="JP",
    contact="Ms Sato",
    sector="biomedicine",
    owner_id=1,
    expected_date=date(2027, 1, 1),
    likelihood=60,
    amount_agreed=10,
    amount_arrived=10,
    jobs=5,
    service_team=True,
    agreement=True,
    countersigned=True,
    funds_evidence=True,
    signed_confirmed=True,
)


def test_a_complete_deal_may_be_at_every_stage() -> None:
    assert {stage: validate(COMPLETE, stage) for stage in STAGES} == {stage: [] for stage in STAGES}


def test_an_empty_deal_misses_everything_its_stage_needs_at_once() -> None:
    missing = [m.fact for m in validate(Facts(), "funded")]
    assert sorted(missing) == sorted(REQUIRED_FROM)


def test_each_requirement_applies_from_its_stage_on() -> None:
    for fact, (from_stage, _message) in REQUIRED_FROM.items():
        facts = Facts(**{**COMPLETE.__dict__, fact: Facts().__dict__[fact]})
        before = STAGES[: STAGES.index(from_stage)]
        after = STAGES[STAGES.index(from_stage) :]
        assert all(validate(facts, s) == [] for s in before), fact
        assert all([m.fact for m in validate(facts, s)] == [fact] for s in after), fact


def test_signed_needs_the_countersigned_agreement_and_the_agreed_amount() -> None:
    facts = Facts(**{**COMPLETE.__dict__, "countersigned": False, "amount_agreed": 0})
    assert [m.fact for m in validate(facts, "signed")] == ["amount_agreed", "countersigned"]
    assert validate(facts, "negotiating") == []


def test_land_needed_makes_the_site_required_from_negotiating() -> None:
    facts = Facts(**{**COMPLETE.__dict__, "land_needed": True, "site": ""})
    assert validate(facts, "intention") == []
    assert [m.fact for m in validate(facts, "negotiating")] == ["site"]


def test_a_linked_investor_must_consent() -> None:
    facts = Facts(**{**COMPLETE.__dict__, "investor_linked": True, "investor_consents": False})
    assert [m.fact for m in validate(facts, "target")] == ["investor_consents"]


def test_skipping_is_moving_forward_by_more_than_one_stage() -> None:
    assert (is_skip("target", "intention"), is_skip("target", "negotiating"), is_skip("signed", "target")) == (
        False,
        True,
        False,
    )
