"""Champion/challenger comparison: the accounts assigned at a month-end, their outcome at the next month-end.

Per arm, over the segments that have a challenger (so both arms come from the same segments):
- cure rate (current or paid off at t+1) and roll-forward rate (worse bucket or charged off at t+1), with Wilson
  95% intervals and a two-proportion z-test (pooled; the same p-value as a 2x2 chi-square without correction);
- amount collected per account (net payments after the month-end up to the next one), mean with a t interval and
  Welch's t-test;
- cost per unit collected (channel costs of the actions in that month, setting `collection_channel_costs`, over
  the amount collected), with a bootstrap percentile interval and a bootstrap test (2,000 resamples, fixed seed).
Accounts not observed at t+1 are left out (as in the roll-rate matrix). Pooling segments whose challenger shares
differ weights the arms' segment mixes differently (the default strategy has 20% in early segments, 10% in middle
ones): compare within one segment (`segment=`) for a clean read.

Verdict, per measure: "sample too small to tell" when an arm has fewer than MIN_ARM accounts, or when the test is
not significant (p >= 0.05) and the minimum detectable effect at 80% power and 5% two-sided significance,
(z_0.975 + z_0.80) x the standard error of the difference, is larger than the smallest difference worth knowing
(setting `cc_min_effect` for rates, AMOUNT_MIN_EFFECT of the champion's value for amounts and costs);
"no meaningful difference" when not significant although such a difference would have been detected;
otherwise "challenger better" or "challenger worse".
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from scipy import stats

import config
from analytics.sql import queries

SQL = str(Path(__file__).with_suffix(".sql"))
MIN_ARM = 30
AMOUNT_MIN_EFFECT = 0.10
ALPHA, POWER = 0.05, 0.80
Z = stats.norm.ppf(1 - ALPHA / 2)                 # 1.95996
Z_POWER = stats.norm.ppf(POWER)                   # 0.84162
HIGHER_IS_BETTER = {"cure_rate": True, "roll_forward_rate": False, "collected_per_account": True,
                    "cost_per_unit_collected": False}


def channel_costs() -> dict[str, float]:
    out = {}
    for pair in str(config.setting("collection_channel_costs")).split(","):
        k, _, v = pair.partition("=")
        if k.strip():
            out[k.strip()] = float(v)
    return out


def wilson(k: int, n: int, z: float = Z) -> tuple[float, float]:
    """Wilson score interval of a proportion k / n."""
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (centre - half, centre + half)


def two_proportion_z(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """(z, two-sided p) of the pooled two-proportion z-test of k2/n2 against k1/n1."""
    p = (k1 + k2) / (n1 + n2)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    if se == 0:
        return (0.0, 1.0)
    z = (k2 / n2 - k1 / n1) / se
    return (z, math.erfc(abs(z) / math.sqrt(2)))


def welch(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """(t, degrees of freedom, two-sided p) of Welch's t-test of mean(b) against mean(a)."""
    va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    if va + vb == 0:
        return (0.0, float(len(a) + len(b) - 2), 1.0)
    t = (np.mean(b) - np.mean(a)) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    return (float(t), float(df), float(2 * stats.t.sf(abs(t), df)))


def t_interval(x: np.ndarray) -> tuple[float, float]:
    if len(x) < 2:
        return (math.nan, math.nan)
    half = stats.t.ppf(1 - ALPHA / 2, len(x) - 1) * np.std(x, ddof=1) / math.sqrt(len(x))
    return (float(np.mean(x) - half), float(np.mean(x) + half))


def _ratio_boot(cost: np.ndarray, got: np.ndarray, rng: np.random.Generator, reps: int) -> np.ndarray:
    """sum(cost) / sum(collected) of `reps` resamples, drawn in chunks of about 2 million indices."""
    out, step = [], max(1, 2_000_000 // max(len(cost), 1))
    for start in range(0, reps, step):
        idx = rng.integers(0, len(cost), (min(step, reps - start), len(cost)))
        c, g = cost[idx].sum(axis=1), got[idx].sum(axis=1)
        out.append(np.where(g > 0, c / np.where(g > 0, g, 1), np.nan))
    return np.concatenate(out)


def _verdict(metric: str, n1: int, n2: int, p: float, diff: float, mde: float, min_effect: float) -> str:
    if min(n1, n2) < MIN_ARM or not math.isfinite(p):
        return "sample too small to tell"
    if p < ALPHA:
        better = (diff > 0) == HIGHER_IS_BETTER[metric]
        return "challenger better" if better else "challenger worse"
    return "sample too small to tell" if mde > min_effect else "no meaningful difference"


def _rate_row(metric: str, x1: np.ndarray, x2: np.ndarray) -> dict:
    n1, n2, k1, k2 = len(x1), len(x2), int(x1.sum()), int(x2.sum())
    if min(n1, n2) == 0:
        return {"metric": metric, "champion_n": n1, "challenger_n": n2, "verdict": "sample too small to tell"}
    z, p = two_proportion_z(k1, n1, k2, n2)
    pooled = (k1 + k2) / (n1 + n2)
    mde = (Z + Z_POWER) * math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    (l1, h1), (l2, h2) = wilson(k1, n1), wilson(k2, n2)
    diff = k2 / n2 - k1 / n1
    return {"metric": metric, "champion_n": n1, "champion": k1 / n1, "champion_lo": l1, "champion_hi": h1,
            "challenger_n": n2, "challenger": k2 / n2, "challenger_lo": l2, "challenger_hi": h2,
            "difference": diff, "test": "two-proportion z", "statistic": z, "p_value": p, "mde": mde,
            "verdict": _verdict(metric, n1, n2, p, diff, mde, float(config.setting("cc_min_effect")))}


def _mean_row(x1: np.ndarray, x2: np.ndarray) -> dict:
    metric, n1, n2 = "collected_per_account", len(x1), len(x2)
    if min(n1, n2) < 2:
        return {"metric": metric, "champion_n": n1, "challenger_n": n2, "verdict": "sample too small to tell"}
    t, _df, p = welch(x1, x2)
    mde = (Z + Z_POWER) * math.sqrt(np.var(x1, ddof=1) / n1 + np.var(x2, ddof=1) / n2)
    (l1, h1), (l2, h2) = t_interval(x1), t_interval(x2)
    diff = float(np.mean(x2) - np.mean(x1))
    return {"metric": metric, "champion_n": n1, "champion": float(np.mean(x1)), "champion_lo": l1,
            "champion_hi": h1, "challenger_n": n2, "challenger": float(np.mean(x2)), "challenger_lo": l2,
            "challenger_hi": h2, "difference": diff, "test": "Welch t", "statistic": t, "p_value": p, "mde": mde,
            "verdict": _verdict(metric, n1, n2, p, diff, mde, AMOUNT_MIN_EFFECT * abs(float(np.mean(x1))))}


def _cost_row(c1, g1, c2, g2, reps: int = 2000, seed: int = 7) -> dict:
    metric, n1, n2 = "cost_per_unit_collected", len(c1), len(c2)
    if min(n1, n2) < 2 or g1.sum() <= 0 or g2.sum() <= 0:
        return {"metric": metric, "champion_n": n1, "challenger_n": n2, "verdict": "sample too small to tell"}
    rng = np.random.default_rng(seed)
    b1, b2 = _ratio_boot(c1, g1, rng, reps), _ratio_boot(c2, g2, rng, reps)
    r1, r2 = c1.sum() / g1.sum(), c2.sum() / g2.sum()
    d = b2 - b1
    d = d[np.isfinite(d)]
    p = float(min(1.0, 2 * min((d <= 0).mean(), (d >= 0).mean()))) if len(d) else math.nan
    mde = (Z + Z_POWER) * float(np.nanstd(d)) if len(d) else math.nan
    return {"metric": metric, "champion_n": n1, "champion": r1, "champion_lo": float(np.nanpercentile(b1, 2.5)),
            "champion_hi": float(np.nanpercentile(b1, 97.5)), "challenger_n": n2, "challenger": r2,
            "challenger_lo": float(np.nanpercentile(b2, 2.5)), "challenger_hi": float(np.nanpercentile(b2, 97.5)),
            "difference": r2 - r1, "test": "bootstrap", "statistic": math.nan, "p_value": p, "mde": mde,
            "verdict": _verdict(metric, n1, n2, p, r2 - r1, mde, AMOUNT_MIN_EFFECT * abs(r1))}


def compare_arms(outcomes: pd.DataFrame, segment: str | None = None) -> pd.DataFrame:
    """One row per measure (cure_rate, roll_forward_rate, collected_per_account, cost_per_unit_collected): each
    arm's n, value and 95% interval, the difference (challenger - champion), test, statistic, p-value, minimum
    detectable effect and verdict. `outcomes` is arm_outcomes(); only segments with a challenger count."""
    df = outcomes if segment is None else outcomes[outcomes["segment"] == segment]
    both = df.groupby("segment")["arm"].nunique()
    df = df[df["segment"].isin(both[both == 2].index)]
    a, b = df[df["arm"] == "champion"], df[df["arm"] == "challenger"]
    rows = [_rate_row("cure_rate", a["cured"].to_numpy(bool), b["cured"].to_numpy(bool)),
            _rate_row("roll_forward_rate", a["rolled"].to_numpy(bool), b["rolled"].to_numpy(bool)),
            _mean_row(a["collected"].to_numpy(float), b["collected"].to_numpy(float)),
            _cost_row(a["cost"].to_numpy(float), a["collected"].to_numpy(float), b["cost"].to_numpy(float),
                      b["collected"].to_numpy(float))]
    cols = ["metric", "champion_n", "champion", "champion_lo", "champion_hi", "challenger_n", "challenger",
            "challenger_lo", "challenger_hi", "difference", "test", "statistic", "p_value", "mde", "verdict"]
    return pd.DataFrame(rows).reindex(columns=cols)


def last_day_next(month: dt.date) -> dt.date:
    """The month-end after `month`."""
    return ((month.replace(day=1) + dt.timedelta(days=32)).replace(day=1) + dt.timedelta(days=31)).replace(day=1) \
        - dt.timedelta(days=1)


def arm_outcomes(con: duckdb.DuckDBPyConnection, as_of: str | dt.date, eng=None, recorded: bool = True,
                 assigned: pd.DataFrame | None = None) -> pd.DataFrame:
    """loan_id, bucket, segment, arm, strategy, agent, cured, rolled, collected, due, cost, product, region, branch
    of each account assigned at the month-end (`assigned`, else the stored assignment, else computed) that is
    observed at the next month-end; costs of the book's actions and, unless `recorded` is False, of the actions
    recorded on the my-queue page (each counted once: collection/work.py)."""
    from collection.daily import assignments, resolve_month
    from collection.work import recorded_table
    month = resolve_month(con, as_of)
    if assigned is None:
        assigned, _ = assignments(con, month, eng)
    costs = channel_costs()
    cur = con.cursor()
    try:
        rec = recorded_table(until=last_day_next(month), eng=eng, con=cur)
        cur.register("cx_recorded", rec if recorded else rec.slice(0, 0))
        cur.register("cx_assigned", assigned[["loan_id", "bucket", "segment", "arm", "strategy", "agent",
                                              "overdue_amount"]].astype({"agent": "string"}))
        cur.register("cx_costs", pd.DataFrame({"channel": list(costs), "cost": list(costs.values())}))
        df = cur.execute(queries(SQL)["arm_outcomes"], {"as_of": month}).df()
    finally:
        cur.close()
    df[["cured", "rolled"]] = df[["cured", "rolled"]].astype(bool)
    return df
