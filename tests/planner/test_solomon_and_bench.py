"""Solomon instances go through the planner's own model; the bench commands print what they say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from doorstep.dispatch.planner.bench import main
from doorstep.dispatch.planner.solomon import gap_pct, read_bks, read_solomon, solve_solomon

# C101 and the best-known distances are carried in the repository (tests/data/solomon).
SOLOMON = Path(__file__).resolve().parents[1] / "data" / "solomon"


def test_the_reader_turns_c101_into_100_jobs_and_25_identical_technicians() -> None:
    request = read_solomon(SOLOMON / "C101.vrp")
    assert len(request.jobs) == 100
    assert len(request.technicians) == 25
    assert {t.capacity for t in request.technicians} == {200}
    first = request.jobs[0]  # customer 2 in the file: (45, 68), demand 10, window 912-967
    assert (first.lng, first.lat, first.demand, first.service_minutes) == (45, 68, 10, 90)
    assert first.window_start and (first.window_start - request.day_start).seconds == 912 * 60
    # DIMACS: distances truncated to one decimal (depot (40,50) -> (45,68) is 18.68...)
    depot = request.technicians[0].start_point
    assert request.travel.km(depot, first.point) == pytest.approx(18.6)


def test_a_two_second_c101_plan_is_feasible_and_within_two_percent_of_the_best_known() -> None:
    result, plan = solve_solomon(SOLOMON / "C101.vrp", seconds=2)
    assert result.feasible, result.problems
    assert plan.violations() == []
    assert gap_pct(result.distance, read_bks(SOLOMON)["C101"].distance) < 2.0


def test_bench_plan_solomon_json_has_the_promised_shape(capsys: pytest.CaptureFixture[str]):
    assert (
        main(
            [
                "plan",
                "solomon",
                "--dir",
                str(SOLOMON),
                "--only",
                "C101",
                "--seconds",
                "0.5",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"instances", "mean_gap_pct", "all_feasible", "bare_mean_gap_pct"}
    row = out["instances"][0]
    assert set(row) >= {"name", "distance", "bks", "gap_pct", "feasible"}
    assert row["name"] == "C101" and row["bks"] == 827.3


def test_bench_plan_solomon_reads_any_folder_given_with_dir(tmp_path: Path, capsys) -> None:
    (tmp_path / "TINY.vrp").write_text(
        "NAME : TINY\nTYPE : CVRPTW\nDIMENSION : 3\nVEHICLES : 2\nCAPACITY : 10\n"
        "EDGE_WEIGHT_TYPE : EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 3 4\n3 6 8\n"
        "DEMAND_SECTION\n1 0\n2 5\n3 5\nTIME_WINDOW_SECTION\n1 0 100\n2 0 50\n3 0 50\n"
        "SERVICE_TIME_SECTION\n1 0\n2 1\n3 1\nDEPOT_SECTION\n1\n-1\nEOF\n"
    )
    (tmp_path / "bks_dimacs.csv").write_text("instance,bks_vehicles,bks_distance\nTINY,1,20.0\n")
    assert main(["plan", "solomon", "--dir", str(tmp_path), "--seconds", "0.2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["instances"][0]["distance"] == 20.0
    assert out["all_feasible"] is True and out["mean_gap_pct"] == 0.0


def test_bench_plan_field_json_compares_planner_and_greedy(capsys) -> None:
    argv = ["plan", "field", "--orders", "30", "--technicians", "5", "--seconds", "1", "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    keys = {"travel_km", "late", "breached", "unassigned", "violations"}
    assert set(out["planner"]) >= keys and set(out["greedy"]) >= keys
    assert out["planner"]["violations"] == 0 and out["greedy"]["violations"] == 0
