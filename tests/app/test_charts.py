"""Figures and number formats pinned on a hand-made frame (no Streamlit, no database)."""
import datetime as dt

import pandas as pd
import pytest

from charts import portfolio as charts
from ui import fmt

AS_OF = dt.date(2024, 3, 31)
BUCKETS = pd.DataFrame({
    "bucket": ["current", "1-30", "31-60", "61-90", "91-120", "121-150", "151-180", "180+"],
    "loans": [900, 40, 20, 10, 5, 3, 2, 0],
    "balance": [5.56e9, 106e6, 13.7e6, 0, 5.65e6, 4.21e6, 2.53e6, 0.0],
})
BUCKETS["balance_share"] = BUCKETS.balance / BUCKETS.balance.sum()


def test_bucket_chart_gives_delinquent_buckets_their_own_panel_and_unit():
    fig = charts.bucket_balance_bar(BUCKETS, AS_OF, "CNY")
    current, delinquent = fig.data
    assert list(current.x) == ["current"] and list(delinquent.x) == list(BUCKETS.bucket[1:])
    assert current.y[0] == pytest.approx(5.56) and delinquent.y[0] == pytest.approx(106)
    assert fig.layout.yaxis.title.text == "Outstanding balance (CNY billion)"
    assert fig.layout.yaxis2.title.text == "Delinquent balance (CNY million)"
    assert delinquent.text[0] == "106<br>1.9%"                  # 106 M of a 5,692 M book
    assert delinquent.text[2] == "0"                            # an empty bucket reads 0
    assert "2024-03-31" in fig.layout.title.subtitle.text
    assert fig.layout.template.layout.paper_bgcolor == "white"


def test_product_chart_largest_on_top():
    df = pd.DataFrame({"product": ["mortgage", "card"], "loans": [10, 90], "balance": [4.63e9, 0.09e9]})
    fig = charts.product_balance_bar(df, AS_OF, "CNY")
    assert list(fig.data[0].y) == ["card", "mortgage"]          # plotly draws the last category on top
    assert list(fig.data[0].text) == ["0.09", "4.63"]
    assert fig.layout.xaxis.title.text == "Outstanding balance (CNY billion)"


@pytest.mark.parametrize("amount,text", [(5_701_234_567, "CNY 5.70 bn"), (266_220_000, "CNY 266.22 M"),
                                         (6_300, "CNY 6.30 k"), (950, "CNY 950")])
def test_money(amount, text):
    assert fmt.money(amount, "CNY") == text


def test_count_and_pct():
    assert fmt.count(26138) == "26,138"
    assert fmt.pct(0.00734) == "0.73%"
