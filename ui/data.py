"""The one caching layer between pages and the core: a cached reader, and cached frames keyed by generation.

Every frame is cached per published generation (the DuckDB file name), so a new publication is picked up at
once while repeat views of the same data cost nothing. `_con` arguments are not hashed by Streamlit.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

import config
from analytics import delinquency, population, portfolio, worklists
from analytics.filters import Filters
from analytics.worklists import Scope
from data import store

TTL = 600  # seconds a cached frame lives; a new generation bypasses it anyway


@dataclass(frozen=True)
class Book:
    """A cursor on the published analytical store and the generation it reads."""
    con: duckdb.DuckDBPyConnection
    generation: str


@st.cache_resource(show_spinner=False)
def _reader(home: str) -> store.Reader:
    return store.reader(Path(home))


def book() -> Book | None:
    """The published book, or None when nothing has been published (or it holds no month-end yet)."""
    home = config.home()
    if not store.has_data(home):
        return None
    reader = _reader(str(home))
    con = reader.cursor()
    b = Book(con, reader.path.name)
    return b if months(b) else None


@st.cache_data(ttl=TTL, show_spinner=False)
def _months(_con, generation: str) -> list[dt.date]:
    return portfolio.available_months(_con)


def months(b: Book) -> list[dt.date]:
    """Month-ends with performance data, ascending."""
    return _months(b.con, b.generation)


def latest_month(b: Book) -> dt.date:
    return months(b)[-1]


@st.cache_data(ttl=TTL, show_spinner=False)
def _filter_options(_con, generation: str) -> dict[str, list[str]]:
    return portfolio.filter_options(_con)


def filter_options(b: Book) -> dict[str, list[str]]:
    """The products, regions and branches of the book: the choices of the sidebar's global filters."""
    return _filter_options(b.con, b.generation)


@st.cache_data(ttl=TTL, show_spinner=False)
def _book_summary(_con, generation: str, as_of: dt.date, filters: Filters | None) -> dict:
    return portfolio.book_summary(_con, as_of, filters)


def book_summary(b: Book, as_of: dt.date, filters: Filters | None = None) -> dict:
    """Open loans, outstanding balance and 30+/90+ balance rates at a month-end."""
    return _book_summary(b.con, b.generation, as_of, filters)


@st.cache_data(ttl=TTL, show_spinner=False)
def _bucket_distribution(_con, generation: str, as_of: dt.date, filters: Filters | None) -> pd.DataFrame:
    return delinquency.bucket_distribution(_con, as_of, filters)


def bucket_distribution(b: Book, as_of: dt.date, filters: Filters | None = None) -> pd.DataFrame:
    """Loans and balance per bucket (current .. 180+) at a month-end."""
    return _bucket_distribution(b.con, b.generation, as_of, filters)


@st.cache_data(ttl=TTL, show_spinner=False)
def _balance_by_product(_con, generation: str, as_of: dt.date, filters: Filters | None) -> pd.DataFrame:
    return portfolio.balance_by_product(_con, as_of, filters)


def balance_by_product(b: Book, as_of: dt.date, filters: Filters | None = None) -> pd.DataFrame:
    """Open loans and balance per product at a month-end."""
    return _balance_by_product(b.con, b.generation, as_of, filters)


@st.cache_data(ttl=TTL, show_spinner=False)
def _bucket_trend(_con, generation: str, as_of: dt.date, filters: Filters | None) -> pd.DataFrame:
    return delinquency.bucket_trend(_con, as_of, filters)


def bucket_trend(b: Book, as_of: dt.date, filters: Filters | None = None) -> pd.DataFrame:
    """Loans, balance and shares per bucket at every month-end up to `as_of`."""
    return _bucket_trend(b.con, b.generation, as_of, filters)


@st.cache_data(ttl=TTL, show_spinner=False)
def _delinquency_trend(_con, generation: str, as_of: dt.date, filters: Filters | None) -> pd.DataFrame:
    return delinquency.delinquency_trend(_con, as_of, filters)


def delinquency_trend(b: Book, as_of: dt.date, filters: Filters | None = None) -> pd.DataFrame:
    """30+ and 90+ loans, balance and rates at every month-end up to `as_of`."""
    return _delinquency_trend(b.con, b.generation, as_of, filters)


@st.cache_data(ttl=TTL, show_spinner=False)
def _roll_rates(_con, generation: str, start: dt.date, end: dt.date, filters: Filters | None) -> pd.DataFrame:
    return delinquency.roll_rates_long(_con, start, end, "count", filters)


def roll_rates(b: Book, start: dt.date, end: dt.date, filters: Filters | None = None) -> pd.DataFrame:
    """Transitions (count weight) between the month-ends `start` and `end` (long form)."""
    return _roll_rates(b.con, b.generation, start, end, filters)


@st.cache_data(ttl=TTL, show_spinner=False)
def _behaviour_population(_con, generation: str, as_of: dt.date, filters: Filters | None) -> pd.DataFrame:
    return population.behaviour_population(_con, as_of, filters)


def behaviour_population(b: Book, as_of: dt.date, filters: Filters | None = None) -> pd.DataFrame:
    """The behaviour-model population and its observed 12-month 90+ bad rate per observation month."""
    return _behaviour_population(b.con, b.generation, as_of, filters)


@st.cache_data(ttl=TTL, show_spinner=False)
def _scope_buckets(_con, generation: str, scope: Scope, as_of: dt.date, filters: Filters | None) -> pd.DataFrame:
    return worklists.scope_buckets(_con, scope, as_of, filters)


def scope_buckets(b: Book, scope: Scope, as_of: dt.date, filters: Filters | None = None) -> pd.DataFrame:
    """Loans and balance per bucket of one officer's (or branch's) open loans at a month-end."""
    return _scope_buckets(b.con, b.generation, scope, as_of, filters)


def scope_summary(buckets: pd.DataFrame) -> dict:
    """Open and delinquent loans and balance of a scope (from scope_buckets)."""
    return worklists.scope_summary(buckets)


@st.cache_data(ttl=TTL, show_spinner=False)
def _delinquent_loans(_con, generation: str, scope: Scope, as_of: dt.date, filters: Filters | None) -> pd.DataFrame:
    return worklists.delinquent_loans(_con, scope, as_of, filters)


def delinquent_loans(b: Book, scope: Scope, as_of: dt.date, filters: Filters | None = None) -> pd.DataFrame:
    """A scope's delinquent open loans at a month-end, worst first, with their latest collection action."""
    return _delinquent_loans(b.con, b.generation, scope, as_of, filters)


def queue_summary(queue: pd.DataFrame) -> dict:
    """Loans, balance and overdue amount of a list of delinquent loans."""
    return worklists.queue_summary(queue)


def staff_scope(user, role: str) -> Scope | None:
    """Whose loans a credit officer's or collector's own pages show: their staff code (loans.officer for an
    officer, the collection agent for a collector) when they have one, else their branch; None when neither."""
    if user.staff_code:
        return Scope(officer=user.staff_code) if role == "credit_officer" else Scope(agent=user.staff_code)
    return Scope(branch=user.branch) if user.branch else None


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=512)
def _call(_con, generation: str, module: str, name: str, args: tuple, kwargs: tuple):
    import importlib
    fn = importlib.import_module(module)
    for part in name.split("."):
        fn = getattr(fn, part)
    return fn(_con, *args, **dict(kwargs))


def get(fn, b: Book, *args, **kwargs):
    """`fn(con, *args, **kwargs)` for any core function that reads the analytical store, cached per generation
    and arguments (which must be hashable by Streamlit: dates, strings, numbers, Filters, Scope, tuples).

        trend = data.get(kpis.kpi_trend, book, as_of, months=24, filters=flt)
    """
    return _call(b.con, b.generation, fn.__module__, fn.__qualname__, args, tuple(sorted(kwargs.items())))
