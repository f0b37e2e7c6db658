"""The field benchmark day is realistic, seeded and reproducible."""

from __future__ import annotations

from doorstep.dispatch.planner.field import evaluate, field_instance
from doorstep.dispatch.planner.greedy import greedy_baseline


def test_the_same_seed_builds_the_same_day_and_another_seed_a_different_one() -> None:
    assert field_instance(seed=7) == field_instance(seed=7)
    assert field_instance(seed=7).jobs != field_instance(seed=8).jobs


def test_the_default_day_has_the_promised_mix() -> None:
    day = field_instance(seed=1)
    assert len(day.jobs) >= 200 and len(day.technicians) == 25
    assert {t.region_type for t in day.technicians} == {"urban", "township"}
    assert all(t.has_lunch for t in day.technicians)
    booked = [j for j in day.jobs if j.booked]
    assert len(booked) > len(day.jobs) / 2
    assert all(j.deadline is not None for j in day.jobs if not j.booked)
    assert any(j.grade == "vip" for j in day.jobs)
    skills = set().union(*(j.required_skills for j in day.jobs))
    assert skills == {"broadband", "iptv", "fixed_line", "fiber_splice", "appliance"}
    for branch in ("GS", "TL"):  # every kind of job has someone in its branch who can do it
        techs = [t for t in day.technicians if t.branch == branch]
        for j in day.jobs:
            if j.branch == branch:
                assert any(j.required_skills <= t.skills for t in techs)


def test_the_greedy_baseline_plans_the_full_day_without_breaking_a_rule() -> None:
    plan = greedy_baseline(field_instance(seed=1))
    score = evaluate(plan)
    assert score.violations == 0
    assert score.unassigned < 20
