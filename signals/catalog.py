"""The early-warning signals: name, severity, descriptions (English, Chinese), settings and the events they read."""
from __future__ import annotations

from dataclasses import dataclass

SEVERITIES = ("low", "medium", "high", "critical")          # in rising order
EVENT_KINDS = ("payment", "reversal", "bureau", "flag")


@dataclass(frozen=True)
class Signal:
    name: str                  # also the named query in signals.sql
    severity: str
    en: str                    # what fires it, in plain words (English)
    zh: str                    # the same in Chinese
    params: dict[str, str]     # SQL parameter -> setting name (config.SETTINGS)
    events: tuple[str, ...] = ()   # event kinds (EVENT_KINDS) that can make it fire between daily runs
    source: str = "payments"   # payments, bureau, account, external, contact, model


SIGNALS: tuple[Signal, ...] = (
    Signal("first_missed_payment", "medium",
           "First missed payment: overdue at this month-end, current at the one before.",
           "首次逾期：本月末逾期，上月末未逾期。", {"min_dpd": "ew_first_missed_min_dpd"}),
    Signal("partial_payment", "low",
           "Partial payment: paid something in the last month, but less than the instalments due in it.",
           "部分还款：近一个月有还款，但少于当月应还金额。", {"share": "ew_partial_share"},
           ("payment", "reversal")),
    Signal("payment_reversed", "medium",
           "Reversed payment: a payment was reversed (bounced) in the last month.",
           "还款冲正：近一个月有还款被冲正（退票）。", {}, ("reversal",)),
    Signal("dpd_rising", "high",
           "Days past due rising two month-ends running.",
           "逾期天数连续两个月上升。", {}),
    Signal("bureau_score_drop", "high",
           "Bureau score down by the set points or more from its highest in the set months.",
           "征信评分在设定月数内较最高值下降达到设定分数。",
           {"points": "ew_score_drop_points", "months": "ew_score_drop_months"}, ("bureau",), "bureau"),
    Signal("credit_inquiries", "medium",
           "Many new credit inquiries in 30 days (at or above the set number).",
           "30天内新增征信查询次数达到设定值。", {"min_inquiries": "ew_inquiries_30d"}, ("bureau",), "bureau"),
    Signal("delinquency_elsewhere", "high",
           "A new delinquency at another lender (bureau count up since the previous pull).",
           "他行新增逾期（征信逾期笔数较上次增加）。", {}, ("bureau",), "bureau"),
    Signal("salary_stopped", "high",
           "Salary deposits stopped for the set number of month-ends after a month with salary.",
           "代发工资连续设定月数中断（此前有工资入账）。", {"months": "ew_salary_months"}, (), "account"),
    Signal("balance_drain", "medium",
           "Deposit balance drained by more than the set share from its recent highest.",
           "存款余额较近期最高值下降超过设定比例。",
           {"share": "ew_drain_share", "months": "ew_drain_months", "min_balance": "ew_drain_min_balance"},
           (), "account"),
    Signal("utilisation_high", "medium",
           "Revolving utilisation above the set share of the limit.",
           "循环额度使用率超过设定比例。", {"threshold": "ew_utilisation"}, (), "account"),
    Signal("litigation", "critical",
           "Newly flagged for litigation or court enforcement.",
           "新增涉诉或被列入法院执行名单。", {}, ("flag",), "external"),
    Signal("negative_news", "high",
           "Negative news about the borrower at the latest check.",
           "最近一次检查发现借款人负面舆情。", {}, ("flag",), "external"),
    Signal("phone_unreachable", "medium",
           "Phone unreachable: the set number of failed contact attempts since the last contact.",
           "电话失联：自上次联系成功以来，联系失败次数达到设定值。",
           {"attempts": "ew_unreachable_attempts", "days": "ew_unreachable_days"}, ("flag",), "contact"),
    Signal("address_changed", "low",
           "Change of address reported at the latest check.",
           "最近一次检查发现地址变更。", {}, ("flag",), "contact"),
    Signal("ew_model_pd", "high",
           "Early-warning model PD at or above the threshold, or at least doubled since the month before.",
           "预警模型违约概率达到阈值，或较上月翻倍。",
           {"target": "ew_model_target", "threshold": "ew_pd_threshold", "multiple": "ew_pd_multiple",
            "min_prev": "ew_pd_min_prev"}, (), "model"),
)
BY_NAME = {s.name: s for s in SIGNALS}


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


def signals_for_event(kind: str) -> list[Signal]:
    """The signals an event of this kind can make fire."""
    return [s for s in SIGNALS if kind in s.events]
