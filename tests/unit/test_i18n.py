"""The UI catalog: both languages have the same keys; numbers and dates are formatted per locale."""
import datetime as dt

from ui import i18n


def test_every_key_exists_in_both_languages():
    en, zh = set(i18n.catalog("en")), set(i18n.catalog("zh"))
    assert en == zh, f"only in en: {sorted(en - zh)}; only in zh: {sorted(zh - en)}"
    assert len(en) > 5


def test_lookup_and_fallback():
    assert i18n.t("common.logout", lang="zh") == "退出登录"
    assert i18n.t("common.logout", lang="en") == "Log out"
    assert i18n.t("common.no_such_key", lang="zh") == "common.no_such_key"


def test_locale_formats():
    assert i18n.number(1234567.891, 2, lang="en") == "1,234,567.89"
    assert i18n.percent(0.012345, lang="zh") == "1.23%"
    assert i18n.money(266_220_000, "CNY", lang="en") == "CNY 266.22M"
    assert i18n.money(266_220_000, "CNY", lang="zh") == "CNY 2.66亿"
    assert i18n.date(dt.date(2026, 10, 31), lang="zh") == "2026年10月31日"
    assert i18n.month(dt.date(2026, 10, 31), lang="en") == "Oct 2026"
