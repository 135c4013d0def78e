"""The feature catalog: each model feature, its label in English and Chinese, and the reason code it feeds."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    name: str
    categorical: bool
    reason: str          # reason code the feature's SHAP contribution is added to
    en: str
    zh: str


# Plain-words reasons, phrased for a contribution that raises the risk (reason codes are the largest positive
# SHAP sums per code, so the phrase always reads in the risky direction).
REASONS: dict[str, tuple[str, str]] = {
    "arrears_now": ("Currently past due", "当前存在逾期"),
    "arrears_rising": ("Days past due have been rising", "逾期天数持续上升"),
    "recent_arrears": ("Late payments in the last 6 months", "近6个月有逾期"),
    "past_arrears": ("Repeated late payments in the last year", "近一年多次逾期"),
    "short_payment": ("Paid less than the amount due", "实际还款低于应还金额"),
    "low_repayment": ("Small repayments compared with the balance", "还款额相对欠款余额偏低"),
    "reversed_payment": ("Payments reversed or bounced", "还款被冲正或退回"),
    "restructured": ("Loan has been restructured", "贷款已重组"),
    "loan_age": ("Loan age or remaining term", "贷款账龄或剩余期限"),
    "short_history": ("Short repayment history", "还款记录较短"),
    "balance_pattern": ("Outstanding balance high or growing", "欠款余额偏高或上升"),
    "high_utilisation": ("High or rising use of credit limits", "额度使用率偏高或上升"),
    "loan_terms": ("Loan product, grade or terms", "贷款产品、评级或条款"),
    "affordability": ("Debt or instalments high compared with income", "负债或月供相对收入偏高"),
    "borrower_profile": ("Borrower profile", "借款人基本情况"),
    "low_bureau_score": ("Low credit bureau score", "征信评分偏低"),
    "bureau_score_drop": ("Credit bureau score has dropped", "征信评分下降"),
    "credit_inquiries": ("Many recent credit applications", "近期征信查询次数较多"),
    "arrears_elsewhere": ("Late payments at other lenders", "在其他机构有逾期"),
    "stale_bureau": ("Credit bureau data out of date", "征信数据较旧"),
    "salary_stopped": ("Salary deposits reduced or stopped", "工资入账减少或停止"),
    "savings_drain": ("Deposit balance low or falling", "存款余额偏低或下降"),
    "legal_news": ("Litigation or negative news", "涉及诉讼或负面舆情"),
    "contact_lost": ("Hard to reach or address changed", "联系不上或地址变更"),
    "economy": ("Weaker economy", "宏观经济走弱"),
}

_C, _N = True, False
FEATURES: tuple[Feature, ...] = (
    # loan and borrower (attributes at origination; gender is deliberately not a feature)
    Feature("product", _C, "loan_terms", "Product", "产品"),
    Feature("grade", _C, "loan_terms", "Origination grade", "发放时评级"),
    Feature("collateral_type", _C, "loan_terms", "Collateral type", "担保方式"),
    Feature("region", _C, "borrower_profile", "Region", "地区"),
    Feature("borrower_type", _C, "borrower_profile", "Borrower type", "借款人类型"),
    Feature("education", _C, "borrower_profile", "Education", "学历"),
    Feature("marital_status", _C, "borrower_profile", "Marital status", "婚姻状况"),
    Feature("annual_rate", _N, "loan_terms", "Annual interest rate", "年利率"),
    Feature("term_months", _N, "loan_terms", "Term (months)", "期限（月）"),
    Feature("months_on_book", _N, "loan_age", "Months on book", "账龄（月）"),
    Feature("months_remaining", _N, "loan_age", "Months remaining", "剩余期限（月）"),
    Feature("principal", _N, "loan_terms", "Principal", "本金"),
    Feature("credit_line", _N, "loan_terms", "Credit limit (or principal)", "授信额度（或本金）"),
    Feature("borrower_age", _N, "borrower_profile", "Borrower age", "借款人年龄"),
    Feature("monthly_income", _N, "affordability", "Monthly income", "月收入"),
    Feature("instalment_to_income", _N, "affordability", "Instalment / income", "月供收入比"),
    Feature("loan_to_value", _N, "loan_terms", "Balance / collateral value", "贷款价值比"),
    # repayment behaviour
    Feature("dpd", _N, "arrears_now", "Days past due", "逾期天数"),
    Feature("dpd_change_1m", _N, "arrears_now", "Change in DPD over 1 month", "逾期天数月变化"),
    Feature("dpd_slope_6m", _N, "arrears_rising", "DPD trend over 6 months", "近6个月逾期趋势"),
    Feature("worst_dpd_3m", _N, "recent_arrears", "Worst DPD, 3 months", "近3个月最大逾期天数"),
    Feature("worst_dpd_6m", _N, "recent_arrears", "Worst DPD, 6 months", "近6个月最大逾期天数"),
    Feature("worst_dpd_12m", _N, "past_arrears", "Worst DPD, 12 months", "近12个月最大逾期天数"),
    Feature("delinquent_months_12m", _N, "past_arrears", "Months past due in 12", "近12个月逾期月数"),
    Feature("months_since_delinquent", _N, "past_arrears", "Months since last past due (within 12)",
            "距上次逾期月数（12个月内）"),
    Feature("pay_to_due_1m", _N, "short_payment", "Paid / due, this month", "本月实还/应还"),
    Feature("pay_to_due_3m", _N, "short_payment", "Paid / due, 3 months", "近3个月实还/应还"),
    Feature("pay_to_due_6m", _N, "short_payment", "Paid / due, 6 months", "近6个月实还/应还"),
    Feature("paid_to_balance_1m", _N, "low_repayment", "Paid / last month's balance", "本月还款/上月余额"),
    Feature("paid_to_balance_3m", _N, "low_repayment", "Paid / balance, 3 months", "近3个月还款/余额"),
    Feature("overdue_to_balance", _N, "arrears_now", "Overdue amount / balance", "逾期金额/余额"),
    Feature("reversals_6m", _N, "reversed_payment", "Reversed payments, 6 months", "近6个月冲正笔数"),
    Feature("restructured", _N, "restructured", "Restructured", "已重组"),
    Feature("restructured_12m", _N, "restructured", "Restructured within 12 months", "近12个月重组"),
    Feature("months_observed_12m", _N, "short_history", "Month-ends observed, 12 months", "近12个月有记录月数"),
    # balance and utilisation
    Feature("balance", _N, "balance_pattern", "Outstanding balance", "欠款余额"),
    Feature("balance_to_principal", _N, "balance_pattern", "Balance / principal", "余额/本金"),
    Feature("balance_ratio_1m", _N, "balance_pattern", "Balance / balance 1 month ago", "余额/上月余额"),
    Feature("balance_ratio_3m", _N, "balance_pattern", "Balance / balance 3 months ago", "余额/3个月前余额"),
    Feature("utilisation", _N, "high_utilisation", "Limit utilisation", "额度使用率"),
    Feature("utilisation_change_3m", _N, "high_utilisation", "Change in utilisation, 3 months", "使用率3个月变化"),
    Feature("utilisation_max_6m", _N, "high_utilisation", "Highest utilisation, 6 months", "近6个月最高使用率"),
    Feature("utilisation_slope_6m", _N, "high_utilisation", "Utilisation trend, 6 months", "近6个月使用率趋势"),
    # credit bureau
    Feature("bureau_score", _N, "low_bureau_score", "Bureau score", "征信评分"),
    Feature("bureau_score_change_3m", _N, "bureau_score_drop", "Bureau score change, 3 months", "征信评分3个月变化"),
    Feature("bureau_score_below_max_6m", _N, "bureau_score_drop", "Bureau score below its 6-month high",
            "征信评分较6个月高点差"),
    Feature("bureau_inquiries_30d", _N, "credit_inquiries", "Credit inquiries, 30 days", "近30天征信查询次数"),
    Feature("bureau_inquiries_3m", _N, "credit_inquiries", "Credit inquiries, 3 months", "近3个月征信查询次数"),
    Feature("bureau_delinquencies", _N, "arrears_elsewhere", "Delinquencies elsewhere", "他行逾期笔数"),
    Feature("bureau_delinquencies_change_3m", _N, "arrears_elsewhere", "New delinquencies elsewhere, 3 months",
            "近3个月新增他行逾期"),
    Feature("bureau_debt_to_income", _N, "affordability", "Total debt / annual income", "总负债/年收入"),
    Feature("bureau_debt_ratio_3m", _N, "affordability", "Total debt / 3 months ago", "总负债/3个月前"),
    Feature("bureau_age_months", _N, "stale_bureau", "Months since bureau pull", "距征信查询月数"),
    # account behaviour and other signals
    Feature("salary_deposit", _N, "salary_stopped", "Salary deposited this month", "本月工资入账"),
    Feature("salary_months_3m", _N, "salary_stopped", "Months with salary, 3 months", "近3个月工资入账月数"),
    Feature("salary_to_income_3m", _N, "salary_stopped", "Salary / stated income, 3 months", "近3个月工资/申报收入"),
    Feature("salary_stopped", _N, "salary_stopped", "Salary stopped this month", "本月工资停发"),
    Feature("deposits_to_income", _N, "savings_drain", "Deposit balance / income", "存款余额/月收入"),
    Feature("deposits_ratio_3m", _N, "savings_drain", "Deposit balance / 3 months ago", "存款余额/3个月前"),
    Feature("ext_utilisation", _N, "high_utilisation", "Utilisation of all credit lines", "全部授信使用率"),
    Feature("ext_utilisation_change_3m", _N, "high_utilisation", "Change in all-lines utilisation, 3 months",
            "全部授信使用率3个月变化"),
    Feature("litigation", _N, "legal_news", "Litigation", "涉诉"),
    Feature("negative_news_6m", _N, "legal_news", "Negative news, 6 months", "近6个月负面舆情"),
    Feature("unreachable_months_3m", _N, "contact_lost", "Months unreachable, 3 months", "近3个月失联月数"),
    Feature("address_changed_6m", _N, "contact_lost", "Address changed, 6 months", "近6个月地址变更"),
    # economy
    Feature("macro_index", _N, "economy", "Macro index (100 = average)", "宏观指数（100为平均）"),
    Feature("macro_change_3m", _N, "economy", "Macro index change, 3 months", "宏观指数3个月变化"),
)

BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}
NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
CATEGORICAL: tuple[str, ...] = tuple(f.name for f in FEATURES if f.categorical)


def label(feature: str, lang: str = "en") -> str:
    """A feature's label in 'en' or 'zh' (the name itself for a feature outside the catalog)."""
    f = BY_NAME.get(feature)
    return feature if f is None else (f.zh if lang == "zh" else f.en)


def reason_text(code: str, lang: str = "en") -> str:
    """A reason code in plain words, 'en' or 'zh'."""
    en, zh = REASONS[code]
    return zh if lang == "zh" else en
