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
from analytics import delinquency, portfolio
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
def _book_summary(_con, generation: str, as_of: dt.date) -> dict:
    return portfolio.book_summary(_con, as_of)


def book_summary(b: Book, as_of: dt.date) -> dict:
    """Open loans, outstanding balance and 30+/90+ balance rates at a month-end."""
    return _book_summary(b.con, b.generation, as_of)


@st.cache_data(ttl=TTL, show_spinner=False)
def _bucket_distribution(_con, generation: str, as_of: dt.date) -> pd.DataFrame:
    return delinquency.bucket_distribution(_con, as_of)


def bucket_distribution(b: Book, as_of: dt.date) -> pd.DataFrame:
    """Loans and balance per bucket (current .. 180+) at a month-end."""
    return _bucket_distribution(b.con, b.generation, as_of)


@st.cache_data(ttl=TTL, show_spinner=False)
def _balance_by_product(_con, generation: str, as_of: dt.date) -> pd.DataFrame:
    return portfolio.balance_by_product(_con, as_of)


def balance_by_product(b: Book, as_of: dt.date) -> pd.DataFrame:
    """Open loans and balance per product at a month-end."""
    return _balance_by_product(b.con, b.generation, as_of)
