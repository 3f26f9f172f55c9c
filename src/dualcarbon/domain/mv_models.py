"""Baseline models of GB/T 28750-2012 (基期能耗-影响因素模型) on daily or monthly data, chosen by stated criteria.

A model is linear in its terms:

    E = a + Σ_j b_j × P_j + c_h × HDD(T_h) + c_c × CDD(T_c)          (energy per period, the caller's unit)
    HDD(T_h) = days × max(0, T_h − T),   CDD(T_c) = days × max(0, T − T_c)     (°C·d)

with P_j the production of product j in the period, T the period's mean outdoor temperature (°C) and
``days`` 1 for daily data and the month's length for monthly data (the month's mean temperature stands for
every day: degree days of shoulder months are underestimated — use daily data where there is any).

Candidates: intercept only; production; HDD; CDD; HDD + CDD (T_h ≤ T_c), each with and without production;
every heating balance point T_h and cooling balance point T_c of the grids given by the criteria. A candidate
qualifies when every slope is positive (more production, colder or hotter weather cannot lower the energy)
and significant (two-sided p < p_max, i.e. t > t(1 − p_max/2, n − p)); the intercept-only model always
qualifies. The qualified candidate with the highest adjusted R² is chosen, ties going to the one listed first
(fewer terms, lower balance point) — the same data always give the same model. Pure; no I/O.

Two options of :class:`Selection` (rows of ``mv_criteria``; blank = off):

* ``segment_min_periods`` — a degree-day term qualifies only with at least that many periods on its sloped
  side (T below T_h, above T_c), so a change point cannot be fitted to the few most extreme days;
* ``refine_step_c`` — after the grid, the chosen candidate (a weather model) is refined around its balance
  points within its kind (window ± the previous step, step ÷ 5 per level down to ``refine_step_c``, inside the
  grid's bounds, same qualification): balance points as a continuous least-squares search would place them,
  at a fraction of its cost. Only the chosen kind is refined (a refined runner-up could in principle overtake
  it by a hair; refining every kind cost ×3 for no change on the benchmark samples).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from dualcarbon.domain.mv_stats import Fit, FloatArray, ols, ols_subsets, t_quantile

Interval = Literal["day", "month"]
TermKind = Literal["production", "hdd", "cdd"]
SCHEMA = "dualcarbon.mv-model/1"


@dataclass(frozen=True)
class Observations:
    """Periods in time order: energy, optional production per product and mean temperature, days per period."""

    energy: FloatArray
    days: FloatArray
    production: Mapping[str, FloatArray] = field(default_factory=dict)
    temperature_c: FloatArray | None = None

    @property
    def n(self) -> int:
        return len(self.energy)


@dataclass(frozen=True)
class Grid:
    """Balance points searched, °C: start, stop (both included) and step."""

    start_c: float
    stop_c: float
    step_c: float

    def points(self) -> FloatArray:
        count = math.floor((self.stop_c - self.start_c) / self.step_c + 1e-9) + 1
        return np.round(self.start_c + self.step_c * np.arange(max(count, 0), dtype=float), 9)


@dataclass(frozen=True)
class Term:
    """One slope of the model, with its t-statistic and two-sided p-value from the baseline fit."""

    kind: TermKind
    name: str  # the product for production terms, "hdd" / "cdd" for weather
    coefficient: float
    std_error: float
    t_stat: float
    p_value: float
    balance_point_c: float | None = None


@dataclass(frozen=True)
class BaselineModel:
    """A fitted baseline model: intercept and terms, the goodness of fit on its baseline, serialisable."""

    interval: Interval
    kind: str  # "intercept", "production", "hdd", "cdd", "hdd+cdd", "production+hdd" …
    intercept: float
    intercept_std_error: float
    terms: tuple[Term, ...]
    n: int
    r2: float | None
    adj_r2: float | None
    cvrmse_pct: float | None
    nmbe_pct: float | None
    autocorrelation: float
    candidates_tried: int

    @property
    def p(self) -> int:
        return 1 + len(self.terms)

    def term(self, kind: TermKind) -> Term | None:
        return next((t for t in self.terms if t.kind == kind), None)

    def predict(self, observations: Observations) -> FloatArray:
        """Energy per period by the model at the given conditions (every factor the model uses is needed)."""
        out = np.full(observations.n, self.intercept)
        for term in self.terms:
            out = out + term.coefficient * _term_values(term, observations)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "interval": self.interval,
            "kind": self.kind,
            "intercept": self.intercept,
            "intercept_std_error": self.intercept_std_error,
            "terms": [
                {
                    "kind": t.kind,
                    "name": t.name,
                    "coefficient": t.coefficient,
                    "std_error": t.std_error,
                    "t_stat": _finite(t.t_stat),
                    "p_value": t.p_value,
                    "balance_point_c": t.balance_point_c,
                }
                for t in self.terms
            ],
            "n": self.n,
            "r2": self.r2,
            "adj_r2": self.adj_r2,
            "cvrmse_pct": self.cvrmse_pct,
            "nmbe_pct": self.nmbe_pct,
            "autocorrelation": self.autocorrelation,
            "candidates_tried": self.candidates_tried,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BaselineModel:
        """The model back from :meth:`to_dict` (``KeyError``/``ValueError`` on another shape)."""
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} model (schema {data.get('schema')!r})")
        terms = tuple(
            Term(
                kind=t["kind"],
                name=t["name"],
                coefficient=float(t["coefficient"]),
                std_error=float(t["std_error"]),
                t_stat=math.inf if t["t_stat"] is None else float(t["t_stat"]),
                p_value=float(t["p_value"]),
                balance_point_c=None if t.get("balance_point_c") is None else float(t["balance_point_c"]),
            )
            for t in data["terms"]
        )
        return cls(
            interval=data["interval"],
            kind=data["kind"],
            intercept=float(data["intercept"]),
            intercept_std_error=float(data["intercept_std_error"]),
            terms=terms,
            n=int(data["n"]),
            r2=data.get("r2"),
            adj_r2=data.get("adj_r2"),
            cvrmse_pct=data.get("cvrmse_pct"),
            nmbe_pct=data.get("nmbe_pct"),
            autocorrelation=float(data["autocorrelation"]),
            candidates_tried=int(data["candidates_tried"]),
        )


def _finite(value: float) -> float | None:
    """JSON has no Infinity: a t-statistic of an exact fit (standard error 0) is written as null."""
    return value if math.isfinite(value) else None


def degree_days(temperature_c: FloatArray, days: FloatArray, balance_points: FloatArray, heating: bool) -> FloatArray:
    """HDD (``heating``) or CDD per period for every balance point: array (balance points × periods), °C·d."""
    difference = balance_points[:, None] - temperature_c[None, :]
    if not heating:
        difference = -difference
    return np.maximum(difference, 0.0) * days[None, :]


def _term_values(term: Term, observations: Observations) -> FloatArray:
    if term.kind == "production":
        return observations.production[term.name]
    if observations.temperature_c is None or term.balance_point_c is None:
        raise ValueError(f"the model's {term.kind} term needs the temperature")
    points = np.array([term.balance_point_c])
    values: FloatArray = degree_days(observations.temperature_c, observations.days, points, term.kind == "hdd")[0]
    return values


@dataclass(frozen=True)
class _Family:
    """Candidates of one kind: each row of ``subsets`` picks its slope columns; balance points per row."""

    kind: str
    products: tuple[str, ...]
    subsets: NDArray[np.intp]  # k × s indexes into the candidate columns
    heating: tuple[float | None, ...]
    cooling: tuple[float | None, ...]


def _candidates(obs: Observations, heating: Grid, cooling: Grid) -> tuple[FloatArray, list[_Family]]:
    """All slope columns (products, HDD per heating point, CDD per cooling point) and the candidate families."""
    names = tuple(obs.production)
    rows: list[FloatArray] = [obs.production[name] for name in names]
    th, tc = heating.points(), cooling.points()
    if obs.temperature_c is not None:
        rows += list(degree_days(obs.temperature_c, obs.days, th, heating=True))
        rows += list(degree_days(obs.temperature_c, obs.days, tc, heating=False))
    columns = np.array(rows, dtype=float).reshape(len(rows), obs.n)
    product_idx = list(range(len(names)))
    h0, c0 = len(names), len(names) + len(th)
    families = [_Family("intercept", (), np.zeros((1, 0), dtype=np.intp), (None,), (None,))]
    bases: list[tuple[str, tuple[str, ...], list[int]]] = [("", (), [])]
    if names:
        bases.append(("production+", names, product_idx))
    for prefix, products, base in bases:
        if prefix:
            families.append(_Family("production", products, np.array([base], dtype=np.intp), (None,), (None,)))
        if obs.temperature_c is None:
            continue
        hdd = np.array([[*base, h0 + i] for i in range(len(th))], dtype=np.intp)
        families.append(_Family(prefix + "hdd", products, hdd, tuple(th), (None,) * len(th)))
        cdd = np.array([[*base, c0 + j] for j in range(len(tc))], dtype=np.intp)
        families.append(_Family(prefix + "cdd", products, cdd, (None,) * len(tc), tuple(tc)))
        pairs = [(i, j) for i in range(len(th)) for j in range(len(tc)) if th[i] <= tc[j]]
        if pairs:
            both = np.array([[*base, h0 + i, c0 + j] for i, j in pairs], dtype=np.intp)
            families.append(
                _Family(
                    prefix + "hdd+cdd", products, both, tuple(th[i] for i, _ in pairs), tuple(tc[j] for _, j in pairs)
                )
            )
    return columns, families


@dataclass(frozen=True)
class Selection:
    """Options of the candidate search beyond the grids and p_max (``None`` = off; see the module docstring)."""

    segment_min_periods: int | None = None
    refine_step_c: float | None = None


def _best_in_family(
    obs: Observations, columns: FloatArray, family: _Family, p_max: float, selection: Selection
) -> tuple[float, int] | None:
    """(adjusted R², row) of the family's best qualified candidate; None when none qualifies."""
    size = family.subsets.shape[1]
    fits = ols_subsets(columns, obs.energy, family.subsets)
    t_critical = t_quantile(1.0 - p_max / 2.0, obs.n - size - 1)
    qualified = fits.valid & np.all(fits.t_stats > t_critical, axis=1)
    if selection.segment_min_periods is not None and obs.temperature_c is not None:
        sloped = (columns > 0).sum(axis=1)  # periods with a positive degree-day value
        sloped[: len(family.products)] = obs.n  # production columns have no segment
        qualified &= np.all(sloped[family.subsets] >= selection.segment_min_periods, axis=1)
    if not qualified.any():
        return None
    scores = np.where(qualified, fits.adj_r2, -np.inf)
    index = int(np.argmax(scores))  # first of equal maxima: deterministic
    return float(scores[index]), index


def _window(centre: float | None, half: float, step: float, grid: Grid) -> Grid:
    """Balance points centre ± half by step, clipped to the grid's bounds (one point when there is no term)."""
    if centre is None:
        return Grid(grid.start_c, grid.start_c, 1.0)
    low, high = max(grid.start_c, centre - half), min(grid.stop_c, centre + half)
    low = centre - step * math.floor((centre - low) / step + 1e-9)
    return Grid(low, high, step)


def _refine(
    obs: Observations,
    found: tuple[float, _Family, int, FloatArray],
    heating: Grid,
    cooling: Grid,
    p_max: float,
    selection: Selection,
) -> tuple[tuple[float, _Family, int, FloatArray], int]:
    """The candidate refined around its balance points level by level (see the module docstring), and the
    number of candidates tried."""
    refine = selection.refine_step_c
    score, family, index, columns = found
    step = min(heating.step_c, cooling.step_c)
    tried = 0
    if refine is None or family.kind in ("intercept", "production"):
        return found, tried
    while step > refine * (1 + 1e-9):
        half, step = step, max(step / 5.0, refine)
        local_columns, local_families = _candidates(
            obs,
            _window(family.heating[index], half, step, heating),
            _window(family.cooling[index], half, step, cooling),
        )
        local = next(f for f in local_families if f.kind == family.kind)
        tried += local.subsets.shape[0]
        better = _best_in_family(obs, local_columns, local, p_max, selection)
        if better is not None and better[0] > score:
            score, family, index, columns = better[0], local, better[1], local_columns
    return (score, family, index, columns), tried


def select_baseline(
    obs: Observations,
    interval: Interval,
    heating: Grid,
    cooling: Grid,
    p_max: float,
    selection: Selection | None = None,
) -> BaselineModel:
    """The qualified candidate with the best adjusted R² (see the module docstring), refitted exactly."""
    selection = selection or Selection()
    columns, families = _candidates(obs, heating, cooling)
    best: tuple[float, _Family, int, FloatArray] | None = None
    tried = 0
    for family in families:
        k, size = family.subsets.shape
        if obs.n <= size + 1:
            continue
        tried += k
        if size == 0:  # intercept only: R² = adjusted R² = 0; listed first, so it is the floor to beat
            best = best or (0.0, family, 0, columns)
            continue
        found = _best_in_family(obs, columns, family, p_max, selection)
        if found is None:
            continue
        if best is None or found[0] > best[0]:
            best = (found[0], family, found[1], columns)
    if best is None:  # n ≤ 1: not even the mean can be fitted with a residual degree of freedom
        raise ValueError("too few baseline periods to fit any model")
    best, more = _refine(obs, best, heating, cooling, p_max, selection)
    tried += more
    _, family, index, chosen_columns = best
    design = np.column_stack([np.ones(obs.n), *chosen_columns[family.subsets[index]]])
    return _model(ols(design, obs.energy), interval, family, index, tried)


def _model(fit: Fit, interval: Interval, family: _Family, index: int, tried: int) -> BaselineModel:
    terms: list[Term] = []
    column = 1
    for name in family.products:
        terms.append(_term("production", name, fit, column, None))
        column += 1
    if family.heating[index] is not None:
        terms.append(_term("hdd", "hdd", fit, column, family.heating[index]))
        column += 1
    if family.cooling[index] is not None:
        terms.append(_term("cdd", "cdd", fit, column, family.cooling[index]))
    return BaselineModel(
        interval=interval,
        kind=family.kind,
        intercept=float(fit.coefficients[0]),
        intercept_std_error=float(fit.std_errors[0]),
        terms=tuple(terms),
        n=fit.n,
        r2=fit.r2,
        adj_r2=fit.adj_r2,
        cvrmse_pct=fit.cvrmse_pct,
        nmbe_pct=fit.nmbe_pct,
        autocorrelation=fit.autocorrelation,
        candidates_tried=tried,
    )


def _term(kind: TermKind, name: str, fit: Fit, column: int, balance: float | None) -> Term:
    return Term(
        kind=kind,
        name=name,
        coefficient=float(fit.coefficients[column]),
        std_error=float(fit.std_errors[column]),
        t_stat=float(fit.t_stats[column]),
        p_value=float(fit.p_values[column]),
        balance_point_c=None if balance is None else float(balance),
    )


def observations(
    energy: Sequence[float],
    days: Sequence[float],
    production: Mapping[str, Sequence[float]] | None = None,
    temperature_c: Sequence[float] | None = None,
) -> Observations:
    """Build :class:`Observations` from plain sequences (all of the same length)."""
    return Observations(
        energy=np.asarray(energy, dtype=float),
        days=np.asarray(days, dtype=float),
        production={k: np.asarray(v, dtype=float) for k, v in (production or {}).items()},
        temperature_c=None if temperature_c is None else np.asarray(temperature_c, dtype=float),
    )
