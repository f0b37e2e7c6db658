"""``doorstep bench plan solomon|field``: the planner measured against the literature and by hand.

The CLI passes what follows ``bench``, e.g. ``main(["plan", "solomon", "--seconds", "5"])``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from .field import evaluate, field_instance
from .greedy import greedy_baseline
from .solomon import bare_solve, gap_pct, read_bks, solve_solomon
from .solve import plan_day


def default_solomon_dir() -> Path:
    env = os.environ.get("DOORSTEP_SOLOMON_DIR")
    if env:
        return Path(env)
    repo_root = Path(__file__).resolve().parents[3]  # .../doorstep/dispatch/planner/bench.py
    return repo_root.parent / "shared" / "bench" / "solomon"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="doorstep bench", description=__doc__)
    sub = p.add_subparsers(dest="area", required=True)
    plan = sub.add_parser("plan", help="day planner benchmarks")
    which = plan.add_subparsers(dest="which", required=True)

    s = which.add_parser("solomon", help="Solomon VRPTW, DIMACS rounding, gap to best known")
    s.add_argument("--dir", type=Path, default=None, help="folder of .vrp + bks_dimacs.csv")
    s.add_argument("--seconds", type=float, default=5.0, help="search time per instance")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--only", default="", help="comma-separated instance names")
    s.add_argument("--no-bare", action="store_true", help="skip the bare PyVRP comparison")
    s.add_argument("--json", action="store_true")

    f = which.add_parser("field", help="a seeded day in the demo city, planner vs greedy")
    f.add_argument("--seed", type=int, default=1)
    f.add_argument("--orders", type=int, default=200)
    f.add_argument("--technicians", type=int, default=25)
    f.add_argument("--seconds", type=float, default=30.0)
    f.add_argument("--json", action="store_true")
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.which == "solomon":
        return _solomon(args)
    return _field(args)


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 3) if xs else None


def _solomon(args: argparse.Namespace) -> int:
    directory: Path = args.dir or default_solomon_dir()
    paths = sorted(directory.glob("*.vrp"))
    if args.only:
        wanted = {n.strip().upper() for n in args.only.split(",") if n.strip()}
        paths = [p for p in paths if p.stem.upper() in wanted]
    if not paths:
        print(f"no instances in {directory}", file=sys.stderr)
        return 2
    bks = read_bks(directory)
    rows: list[dict[str, Any]] = []
    if not args.json:
        print(
            f"{'instance':<8} {'distance':>9} {'veh':>4} {'bks':>8} {'gap %':>7} {'ok':>3}"
            f" | {'bare':>9} {'veh':>4} {'gap %':>7}"
        )
    for path in paths:
        res, _ = solve_solomon(path, args.seconds, args.seed)
        best = bks.get(path.stem)
        row: dict[str, Any] = {
            "name": path.stem,
            "distance": res.distance,
            "bks": best.distance if best else None,
            "gap_pct": round(gap_pct(res.distance, best.distance), 3) if best else None,
            "feasible": res.feasible,
            "vehicles": res.vehicles,
        }
        if not res.feasible:
            row["problems"] = list(res.problems[:5])
        if not args.no_bare:
            bare = bare_solve(path, args.seconds, args.seed)
            row["bare_distance"] = round(bare.distance, 1)
            row["bare_feasible"] = bare.feasible
            row["bare_gap_pct"] = round(gap_pct(bare.distance, best.distance), 3) if best else None
        rows.append(row)
        if not args.json:
            print(
                f"{row['name']:<8} {row['distance']:>9.1f} {row['vehicles']:>4} "
                f"{_fmt(row['bks'], 8, 1)} {_fmt(row['gap_pct'], 7, 2)} "
                f"{'yes' if row['feasible'] else 'NO':>3} | "
                f"{_fmt(row.get('bare_distance'), 9, 1)} {'':>4} "
                f"{_fmt(row.get('bare_gap_pct'), 7, 2)}",
                flush=True,
            )
    gaps = [r["gap_pct"] for r in rows if r["gap_pct"] is not None]
    bare_gaps = [r["bare_gap_pct"] for r in rows if r.get("bare_gap_pct") is not None]
    out = {
        "instances": rows,
        "mean_gap_pct": _mean(gaps),
        "all_feasible": all(r["feasible"] for r in rows),
        "bare_mean_gap_pct": _mean(bare_gaps),
        "seconds": args.seconds,
    }
    if args.json:
        print(json.dumps(out))
    else:
        print(
            f"{len(rows)} instances, {args.seconds:g} s each: mean gap {out['mean_gap_pct']} %, "
            f"all feasible: {out['all_feasible']}; bare PyVRP mean gap {out['bare_mean_gap_pct']} %"
        )
    return 0


def _fmt(value: float | None, width: int, digits: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.{digits}f}"


def _field(args: argparse.Namespace) -> int:
    request = field_instance(seed=args.seed, orders=args.orders, technicians=args.technicians)
    greedy = evaluate(greedy_baseline(request))
    planner = evaluate(plan_day(request, seconds=args.seconds, seed=args.seed))
    out = {
        "planner": planner.as_dict(),
        "greedy": greedy.as_dict(),
        "instance": {
            "seed": args.seed,
            "orders": args.orders,
            "technicians": args.technicians,
            "seconds": args.seconds,
            "booked": sum(1 for j in request.jobs if j.booked),
            "with_deadline": sum(1 for j in request.jobs if j.deadline is not None),
            "vip": sum(1 for j in request.jobs if j.grade == "vip"),
        },
        "travel_reduction_pct": _pct_less(planner.travel_km, greedy.travel_km),
        "late_reduction_pct": _pct_less(planner.late, greedy.late),
    }
    if args.json:
        print(json.dumps(out))
        return 0
    print(
        f"field day: {args.orders} orders, {args.technicians} technicians, seed {args.seed}, "
        f"{args.seconds:g} s"
    )
    heads = ("travel km", "late", "breached", "unassigned", "violations")
    print(f"{'':<8} {heads[0]:>10} {heads[1]:>5} {heads[2]:>9} {heads[3]:>11} {heads[4]:>11}")
    for name, s in (("planner", planner), ("greedy", greedy)):
        print(
            f"{name:<8} {s.travel_km:>10.1f} {s.late:>5} {s.breached:>9} {s.unassigned:>11} "
            f"{s.violations:>11}"
        )
    print(
        f"planner vs greedy: {out['travel_reduction_pct']} % less travel, "
        f"{out['late_reduction_pct']} % fewer late arrivals"
    )
    return 0


def _pct_less(mine: float, theirs: float) -> float | None:
    return round((1 - mine / theirs) * 100, 1) if theirs else None


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
