"""M&V vs OpenDSM: the same daily samples through our baseline models and OpenDSM's daily model, side by side.

    uv sync --group bench          # opendsm (Apache-2.0) is a benchmark-only dependency
    uv run python benchmarks/bench_mv.py --repeat 3 [--sweep]

For each daily sample OpenDSM ships (simulated Illinois meters, °F): baseline = the 365 days before the
sample's blackout start, reporting = the 365 days after its blackout end, all in UTC days. Both sides get
the same daily data — OpenDSM's own ``DailyBaselineData``/``DailyReportingData`` aggregation (daily mean
temperature, daily energy); we take its ``observed`` and ``temperature`` columns, °F → °C.

* ours: :func:`dualcarbon.domain.mv.verify_savings` with the shipped ``mv_criteria``, once with the
  ``default`` criteria set (1 °C balance-point grid, p < 0.1, adjusted R²) and once with the
  ``opendsm_legacy`` set (no significance test, ≥ 10 days per sloped segment, balance points refined to 0.05 °C);
* OpenDSM ``DailyModel(model="legacy")`` (HDD/TIDD/CDD change-point, least squares, no season or weekday
  splits — the same kind as our HDD+CDD model) and ``model="current"`` (smoothed change points, adaptive
  robust loss, season × weekday/weekend splits — another kind).

Printed per sample: the models chosen, the reporting-period predicted total and the mean absolute daily
difference against OpenDSM legacy, the baseline SSE of each model (is OpenDSM's the least-squares optimum of
its own model form?), the savings fractions, and the time of fit + predict per meter-year
(warm: OpenDSM's numba functions are compiled once before timing; its cold first fit is printed apart).

Where the fits differ, OpenDSM's own objective decides who is closer to its optimum: the legacy model's final
step minimises ``obj_fcn_decorator`` (``eemeter/models/daily/objective_function.py``) with the settings its
``DailyModel._final_fit`` uses (``alpha_final`` = 2, i.e. unit weights, and ``regularization_alpha`` = 0:
mean squared residual), after a penalised stage with ``regularization_alpha`` = 0.001 (``_fit_components``).
Both are evaluated here by calling OpenDSM's code, at OpenDSM's fitted coefficients and at ours (°F, OpenDSM's
HDD/TIDD/CDD parameterisation). Two more checks: whether OpenDSM's coefficients are the same in every timed
run (its optimisers are deterministic), and OpenDSM legacy refitted with another local optimiser (its
developer setting ``algorithm_choice`` = ``nlopt_neldermead`` instead of Subplex), every other setting equal;
``--sweep`` refits it with each optimiser setting of ``SWEEP`` changed alone (initial step, initial-guess
algorithm, local algorithm, penalty off).
Data-class construction is left out on both sides. BLAS runs single-threaded for both (``OPENBLAS_NUM_THREADS=1``
unless set): on a shared 2-core machine OpenBLAS threads made a 118 × 365 Gram product 20× slower.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported

import argparse
import logging
import platform
import time
import warnings
from datetime import date
from typing import Any

import numpy as np

from dualcarbon.domain.mv import MvPeriod, MvResult, verify_savings
from dualcarbon.domain.mv_checks import MvCriteria, criteria_from_reference
from dualcarbon.reference import shipped_reference

# OpenDSM legacy with another local optimiser, every other setting its own (developer settings of DailyModel)
DEVELOPER = {"developer_mode": True, "silent_developer_mode": True}
NELDER_MEAD = {**DEVELOPER, "algorithm_choice": "nlopt_neldermead"}
# --sweep: OpenDSM legacy with one optimiser setting changed at a time (its defaults: initial step 0.1 of the
# bounds, NLopt DIRECT for the initial guess, Subplex for the local fits, elastic-net alpha 0.001 in the first stage)
SWEEP: tuple[dict[str, Any], ...] = (
    {"initial_step_percentage": 0.05},
    {"initial_step_percentage": 0.2},
    {"initial_guess_algorithm_choice": "nlopt_direct_l"},
    {"initial_guess_algorithm_choice": "scipy_direct"},
    {"algorithm_choice": "nlopt_neldermead"},
    {"algorithm_choice": "nlopt_bobyqa"},
    {"regularization_alpha": 0.0},
)

SAMPLES = (
    "il-electricity-cdd-hdd-daily",
    "il-electricity-cdd-only-daily",
    "il-gas-hdd-only-daily",
    "il-gas-intercept-only-daily",
)


def f_to_c(value: float) -> float:
    return (value - 32.0) / 1.8


def load(em: Any, name: str) -> tuple[Any, Any, dict[str, Any]]:
    import pandas as pd

    meter, temperature, meta = em.load_sample(name)
    start = pd.Timestamp(meta["blackout_start_date"]).tz_convert("UTC")
    end = pd.Timestamp(meta["blackout_end_date"]).tz_convert("UTC")
    day = pd.Timedelta(days=365)
    electricity = meta["interpretation"] == "electricity"
    baseline = em.DailyBaselineData.from_series(
        meter[(meter.index >= start - day) & (meter.index < start)], temperature, is_electricity_data=electricity
    )
    reporting = em.DailyReportingData.from_series(
        meter[(meter.index >= end) & (meter.index < end + day)], temperature, is_electricity_data=electricity
    )
    return baseline, reporting, meta


def periods(frame: Any) -> list[MvPeriod]:
    out = []
    for stamp, row in frame.iterrows():
        if np.isfinite(row["observed"]) and np.isfinite(row["temperature"]):
            out.append(
                MvPeriod(
                    date(stamp.year, stamp.month, stamp.day), float(row["observed"]), None, f_to_c(row["temperature"])
                )
            )
    return out


def ours(
    base: list[MvPeriod], report: list[MvPeriod], rules: MvCriteria, repeat: int
) -> tuple[MvResult, float, np.ndarray]:
    from dualcarbon.domain.mv_models import Observations

    best = float("inf")
    result = verify_savings(base, report, "day", rules)
    for _ in range(repeat):
        started = time.perf_counter()
        result = verify_savings(base, report, "day", rules)
        best = min(best, time.perf_counter() - started)
    obs = Observations(
        energy=np.array([p.energy for p in report]),
        days=np.ones(len(report)),
        temperature_c=np.array([p.temperature_c for p in report], dtype=float),
    )
    return result, best, result.model.predict(obs)


def opendsm(
    em: Any, kind: str, baseline: Any, reporting: Any, repeat: int, settings: dict[str, Any] | None = None
) -> tuple[Any, Any, float, bool]:
    """(model, reporting frame, best time, whether every run gave the same coefficients)."""
    best = float("inf")
    model = predicted = None
    seen: list[np.ndarray] = []
    for _ in range(repeat):
        started = time.perf_counter()
        model = em.DailyModel(model=kind, settings=settings).fit(baseline, ignore_disqualification=True)
        predicted = model.predict(reporting, ignore_disqualification=True)
        best = min(best, time.perf_counter() - started)
        seen.append(np.concatenate([np.asarray(sub.x, dtype=float) for sub in model.model.values()]))
    same = all(len(x) == len(seen[0]) and np.array_equal(x, seen[0]) for x in seen)
    return model, predicted, best, same


def only(model: Any) -> Any:
    """The one fitted component of an OpenDSM legacy model (no season or weekday splits)."""
    (res,) = model.model.values()
    return res


def legacy_objectives(model: Any, points: dict[str, np.ndarray]) -> dict[str, tuple[float, float, float]]:
    """OpenDSM legacy's own objectives, computed by its code, at each point (°F, [hdd_bp, hdd_beta, cdd_bp,
    cdd_beta, intercept]): (final-step objective, penalised-stage objective, plain SSE) on its baseline days."""
    from opendsm.eemeter.models.daily.base_models import hdd_tidd_cdd as form
    from opendsm.eemeter.models.daily.objective_function import obj_fcn_decorator
    from opendsm.eemeter.models.daily.utilities.settings import update_daily_settings

    (component,) = model.model  # legacy: one component, no season or weekday splits
    segment = model._meter_segment(component)
    temperature = segment["temperature"].to_numpy(dtype=float)
    observed = segment["observed"].to_numpy(dtype=float)
    weights = segment["weights"].to_numpy(dtype=float) if "weights" in segment else None
    coef_id = ["hdd_bp", "hdd_beta", "cdd_bp", "cdd_beta", "intercept"]
    # the final step's settings, as DailyModel._final_fit makes them
    final = update_daily_settings(
        model.settings, {"DEVELOPER_MODE": True, "SILENT_DEVELOPER_MODE": True, "REGULARIZATION_ALPHA": 0.0}
    )
    staged = model.component_settings  # the penalised stage's settings (DailyModel._fit_components)
    functions = (form._hdd_tidd_cdd, form._hdd_tidd_cdd_weight, form._hdd_tidd_cdd_total_sum_of_squares)
    final_fcn = obj_fcn_decorator(*functions, temperature, observed, weights, final, final.alpha_final, coef_id, False)
    staged_fcn = obj_fcn_decorator(
        *functions, temperature, observed, weights, staged, staged.alpha_selection, coef_id, True
    )
    bounds = np.array([temperature.min(), temperature.max()])
    out = {}
    for label, x in points.items():
        residuals = form._hdd_tidd_cdd(*x, bounds, temperature) - observed
        out[label] = (float(final_fcn(x.copy())), float(staged_fcn(x.copy())), float(residuals @ residuals))
    return out


def opendsm_point(res: Any) -> np.ndarray:
    """A fitted OpenDSM legacy component in the full HDD/TIDD/CDD form (its own conversion), °F."""
    from opendsm.eemeter.models.daily.base_models.full_model import get_full_model_x

    full = get_full_model_x(
        res.model_key, np.asarray(res.x, dtype=float), res.T_min, res.T_max, res.T_min_seg, res.T_max_seg
    )
    return np.array([full[0], full[1], full[3], full[4], full[6]], dtype=float)


def legacy_restarted(model: Any) -> np.ndarray:
    """OpenDSM legacy's final step (its ``fit_final_model``, the settings of ``DailyModel._final_fit``) run once
    more, starting from its own fitted result: a least-squares optimum would stay where it is."""
    from opendsm.eemeter.models.daily.fit_base_models import fit_final_model
    from opendsm.eemeter.models.daily.utilities.settings import update_daily_settings

    ((component, res),) = model.model.items()
    final = update_daily_settings(
        model.settings, {"DEVELOPER_MODE": True, "SILENT_DEVELOPER_MODE": True, "REGULARIZATION_ALPHA": 0.0}
    )
    again = fit_final_model(model._meter_segment(component), res, final)
    return opendsm_point(again)


def our_point(result: MvResult, temperature_f: np.ndarray) -> np.ndarray:
    """Our model in OpenDSM's parameterisation, °F (a missing term: slope 0, balance point at the range's edge)."""
    heating, cooling = result.model.term("hdd"), result.model.term("cdd")
    return np.array(
        [
            heating.balance_point_c * 1.8 + 32.0
            if heating and heating.balance_point_c is not None
            else temperature_f.min(),
            heating.coefficient / 1.8 if heating else 0.0,
            cooling.balance_point_c * 1.8 + 32.0
            if cooling and cooling.balance_point_c is not None
            else temperature_f.max(),
            cooling.coefficient / 1.8 if cooling else 0.0,
            result.model.intercept,
        ],
        dtype=float,
    )


def fitted_sse(result: MvResult, base: list[MvPeriod]) -> float:
    """Σ (observed − model)² over the baseline year."""
    from dualcarbon.domain.mv_models import Observations

    obs = Observations(
        energy=np.array([p.energy for p in base]),
        days=np.ones(len(base)),
        temperature_c=np.array([p.temperature_c for p in base], dtype=float),
    )
    residuals = obs.energy - result.model.predict(obs)
    return float(residuals @ residuals)


def describe_ours(result: MvResult) -> str:
    terms = ", ".join(f"{t.kind}@{t.balance_point_c:g}°C" for t in result.model.terms if t.balance_point_c is not None)
    return f"{result.model.kind}" + (f" ({terms})" if terms else "")


def describe_opendsm(model: Any) -> str:
    parts = []
    for split, sub in model.params.submodels.items():
        c = sub.coefficients
        bps = []
        if c.hdd_bp is not None and c.hdd_beta:
            bps.append(f"hdd@{f_to_c(c.hdd_bp):.2f}°C")
        if c.cdd_bp is not None and c.cdd_beta:
            bps.append(f"cdd@{f_to_c(c.cdd_bp):.2f}°C")
        parts.append(f"{split}: {c.model_type.value}" + (f" ({', '.join(bps)})" if bps else ""))
    return "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per model and sample (the best is kept)")
    parser.add_argument("--samples", nargs="*", default=list(SAMPLES))
    parser.add_argument("--sweep", action="store_true", help="also refit OpenDSM legacy with each setting of SWEEP")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)

    started = time.perf_counter()
    from opendsm import eemeter as em

    print(
        f"opendsm import: {time.perf_counter() - started:.1f} s; python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
        f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}"
    )
    rules = criteria_from_reference(shipped_reference(), "day")[0]
    fine = criteria_from_reference(shipped_reference(), "day", "opendsm_legacy")[0]
    baseline, reporting, _ = load(em, args.samples[0])
    for kind in ("legacy", "current"):
        started = time.perf_counter()
        em.DailyModel(model=kind).fit(baseline, ignore_disqualification=True).predict(
            reporting, ignore_disqualification=True
        )
        print(f"opendsm {kind}: first fit + predict (numba compilation) {time.perf_counter() - started:.1f} s")

    rows = []
    for name in args.samples:
        baseline, reporting, meta = load(em, name)
        base, report = periods(baseline.df), periods(reporting.df)
        result, t_ours, predicted = ours(base, report, rules, max(args.repeat, 20))
        result_fine, t_fine, predicted_fine = ours(base, report, fine, max(args.repeat, 20))
        observed = np.array([p.energy for p in report])
        fitted = {"ours": fitted_sse(result, base), "ours_fine": fitted_sse(result_fine, base)}
        theirs = {}
        same = {}
        for kind in ("legacy", "current"):
            model, frame, seconds, same[kind] = opendsm(em, kind, baseline, reporting, args.repeat)
            keep = frame["observed"].notna() & frame["temperature"].notna()
            theirs[kind] = (model, frame.loc[keep, "predicted"].to_numpy(), seconds)
        model, frame, _, _ = opendsm(em, "legacy", baseline, reporting, 1, NELDER_MEAD)
        keep = frame["observed"].notna() & frame["temperature"].notna()
        nelder_mead = frame.loc[keep, "predicted"].to_numpy()
        temperature_f = baseline.df["temperature"].to_numpy(dtype=float)
        points = {
            "OpenDSM legacy": opendsm_point(only(theirs["legacy"][0])),
            "ours opendsm_legacy": our_point(result_fine, temperature_f),
            "ours default": our_point(result, temperature_f),
            "OpenDSM legacy, its final step rerun from its result": legacy_restarted(theirs["legacy"][0]),
            "OpenDSM legacy, Nelder-Mead": opendsm_point(only(model)),
        }
        sweep = []
        for change in SWEEP if args.sweep else ():
            model, frame, _, _ = opendsm(em, "legacy", baseline, reporting, 1, {**DEVELOPER, **change})
            keep = frame["observed"].notna() & frame["temperature"].notna()
            label = ", ".join(f"{k} = {v}" for k, v in change.items())
            points[label] = opendsm_point(only(model))
            sweep.append((label, describe_opendsm(model), frame.loc[keep, "predicted"].to_numpy()))
        objectives = legacy_objectives(theirs["legacy"][0], points)
        own = em.DailyModel.predict(theirs["legacy"][0], baseline, ignore_disqualification=True)
        kept = own["observed"].notna() & own["temperature"].notna()
        fitted["legacy"] = float(((own.loc[kept, "observed"] - own.loc[kept, "predicted"]) ** 2).sum())
        legacy = theirs["legacy"][1]
        assert len(legacy) == len(predicted), (len(legacy), len(predicted))

        def compare(mine: np.ndarray, other: np.ndarray) -> tuple[float, float]:
            total = (mine.sum() - other.sum()) / other.sum() * 100
            daily = np.abs(mine - other).mean() / other.mean() * 100
            return total, daily

        def saved(pred: np.ndarray, observed: np.ndarray = observed) -> float:
            return float((pred.sum() - observed.sum()) / pred.sum() * 100)

        rows.append(
            {
                "sample": name,
                "designed": f"{(1 - meta['annual_reporting_total_load'] / meta['annual_baseline_total_load']):.0%}",
                "ours": describe_ours(result),
                "ours_fine": describe_ours(result_fine),
                "legacy": describe_opendsm(theirs["legacy"][0]),
                "current": describe_opendsm(theirs["current"][0]),
                "vs_legacy": compare(predicted, legacy),
                "fine_vs_legacy": compare(predicted_fine, legacy),
                "vs_current": compare(predicted, theirs["current"][1]),
                "saved": (saved(predicted), saved(predicted_fine), saved(legacy), saved(theirs["current"][1])),
                "fsu": result.fsu_pct,
                "cvrmse": result.model.cvrmse_pct,
                "legacy_cvrmse": theirs["legacy"][0].params.info["metrics"]["cvrmse_adj"] * 100,
                "times": (t_ours, t_fine, theirs["legacy"][2], theirs["current"][2]),
                "sse": (fitted["ours"], fitted["ours_fine"], fitted["legacy"]),
                "same": same,
                "points": points,
                "objectives": objectives,
                "nm_vs_fine": compare(predicted_fine, nelder_mead),
                "nm_vs_legacy": compare(nelder_mead, legacy),
                "sweep": [(label, text, compare(predicted_fine, pred)) for label, text, pred in sweep],
            }
        )

    print("\n| sample | ours (default) | ours (opendsm_legacy) | OpenDSM legacy | OpenDSM current |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['sample']} | {r['ours']} | {r['ours_fine']} | {r['legacy']} | {r['current']} |")
    print("\nReporting year, predictions against OpenDSM legacy (Σ = total, daily = mean |Δ| / mean):")
    print("| sample | Σ ours vs legacy | daily | Σ ours opendsm_legacy vs legacy | daily | Σ ours vs current | daily |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        a, b, c = r["vs_legacy"], r["fine_vs_legacy"], r["vs_current"]
        cells = (
            f"{a[0]:+.2f} %",
            f"{a[1]:.2f} %",
            f"{b[0]:+.2f} %",
            f"{b[1]:.2f} %",
            f"{c[0]:+.2f} %",
            f"{c[1]:.2f} %",
        )
        print(f"| {r['sample']} | " + " | ".join(cells) + " |")
    print("\nSavings (Σpredicted − Σobserved) / Σpredicted, designed saving, our FSU (90 %) and CV(RMSE):")
    print(
        "| sample | designed | ours | ours opendsm_legacy | legacy | current | our FSU | our CV(RMSE) "
        "| legacy CV(RMSE) adj |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        s = r["saved"]
        fsu = "—" if r["fsu"] is None else f"{r['fsu']:.0f} %"
        print(
            f"| {r['sample']} | {r['designed']} | {s[0]:.2f} % | {s[1]:.2f} % | {s[2]:.2f} % | {s[3]:.2f} % | {fsu} "
            f"| {r['cvrmse']:.1f} % | {r['legacy_cvrmse']:.1f} % |"
        )
    print("\nBaseline-year sum of squared residuals (lower = closer to the least-squares optimum):")
    print("| sample | ours default | ours opendsm_legacy | OpenDSM legacy | legacy ÷ ours opendsm_legacy |")
    print("|---|---|---|---|---|")
    for r in rows:
        e = r["sse"]
        print(f"| {r['sample']} | {e[0]:.1f} | {e[1]:.1f} | {e[2]:.1f} | {e[2] / e[1]:.4f} |")
    print("\nOpenDSM legacy's own objectives (its code) at each point, baseline year; points in °F:")
    print(
        "| sample | point | hdd_bp | hdd_beta | cdd_bp | cdd_beta | intercept | final-step objective "
        "(SSE/N, no penalty) | penalised-stage objective | SSE |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        for label, x in r["points"].items():
            o = r["objectives"][label]
            print(
                f"| {r['sample']} | {label} | {x[0]:.3f} | {x[1]:.4f} | {x[2]:.3f} | {x[3]:.4f} | {x[4]:.3f} "
                f"| {o[0]:.6g} | {o[1]:.6g} | {o[2]:.2f} |"
            )
    print(f"\nOpenDSM runs identical (coefficients equal in all {args.repeat} timed runs):")
    for r in rows:
        print(f"  {r['sample']}: legacy {r['same']['legacy']}, current {r['same']['current']}")
    print("\nOpenDSM legacy with Nelder-Mead as its local optimiser (algorithm_choice), reporting year:")
    print("| sample | Σ ours opendsm_legacy vs it | daily | Σ it vs OpenDSM legacy (Subplex) | daily |")
    print("|---|---|---|---|---|")
    for r in rows:
        a, b = r["nm_vs_fine"], r["nm_vs_legacy"]
        print(f"| {r['sample']} | {a[0]:+.2f} % | {a[1]:.2f} % | {b[0]:+.2f} % | {b[1]:.2f} % |")
    if args.sweep:
        print("\n--sweep: OpenDSM legacy, one setting changed; its SSE and ours opendsm_legacy against it, reporting:")
        print("| sample | setting | OpenDSM legacy model | baseline SSE | Σ ours opendsm_legacy vs it | daily |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            for label, text, (total, daily) in r["sweep"]:
                print(
                    f"| {r['sample']} | {label} | {text} | {r['objectives'][label][2]:.2f} "
                    f"| {total:+.2f} % | {daily:.2f} % |"
                )
    print("\nFit + predict per meter-year (best of the runs; warm):")
    print(
        "| sample | ours default | ours opendsm_legacy | OpenDSM legacy | OpenDSM current "
        "| legacy / ours | legacy / ours opendsm_legacy | current / ours |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        t = r["times"]
        print(
            f"| {r['sample']} | {t[0] * 1000:.1f} ms | {t[1] * 1000:.1f} ms | {t[2] * 1000:.0f} ms "
            f"| {t[3] * 1000:.0f} ms | {t[2] / t[0]:.0f}× | {t[2] / t[1]:.0f}× | {t[3] / t[0]:.0f}× |"
        )


if __name__ == "__main__":
    main()
