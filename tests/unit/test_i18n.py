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


def test_money_units_per_locale():
    assert i18n.unit([5.7e9], "en") == (1e9, "billion") and i18n.unit([950], "en") == (1.0, "")
    assert i18n.unit([5.7e9], "zh") == (1e8, "亿") and i18n.unit([63_000], "zh") == (1e4, "万")
    assert i18n.unit([950], "zh") == (1.0, "")
    assert i18n.money(63_000, "CNY", lang="zh") == "CNY 6.3万"
    assert i18n.money(950, "CNY", lang="en") == "CNY 950"
    # below the first compact unit: plain digits, grouped, at most two decimals (no float noise)
    assert i18n.money(1790.340000000001, "CNY", lang="zh") == "CNY 1,790.34"
    assert i18n.money(-999.5, "CNY", lang="en") == "CNY -999.5"


def test_data_values_in_words():
    assert i18n.label("bucket", "current", "zh") == "未逾期" and i18n.label("state", "paid_off", "zh") == "已结清"
    assert i18n.label("product", "sme", "en") == "SME"
    assert i18n.label("product", "boat", "zh") == "boat"             # a product of an imported book, as it is
    assert i18n.label("role", "risk_manager", "zh") == "风险经理"


def test_signed_changes():
    assert i18n.signed(37, lang="en") == "+37"
    assert i18n.signed(-0.0012, "points", lang="en") == "-0.12 pp"
    assert i18n.signed(0.0067, "points", lang="zh") == "+0.67 个百分点"


def test_every_key_used_in_code_is_in_the_catalog():
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    files = [root / "app.py", *(root / "ui").glob("*.py"), *(root / "app_pages").glob("*.py"),
             *(root / "charts").glob("*.py")]
    used = {m for f in files for m in re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']\s*[,)]""",
                                                             f.read_text())}
    missing = sorted(k for k in used if k not in i18n.catalog("en") and "{" not in k)
    assert not missing, f"catalog keys used in code but not in ui/locales: {missing}"
    assert len(used) > 50


def test_money_change():
    assert i18n.signed(6_640_000, "money", lang="en", currency="CNY") == "+CNY 6.64M"


def test_chinese_money_keeps_three_significant_figures():
    assert [i18n.money(v, "CNY", lang="zh") for v in (31_123_456, 5_850_912, 289_300, 950)] == [
        "CNY 3112万", "CNY 585万", "CNY 28.9万", "CNY 950"]


def test_ui_text_comes_from_the_catalog():
    """No literal words in what pages and the shell put on screen: text is t('area.key'), data or formatting."""
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    calls = re.compile(r"""\.(title|header|subheader|caption|info|warning|error|success|markdown|button|metric|"""
                       r"""selectbox|multiselect|radio|text_input|expander|tabs|toast|download_button|checkbox|"""
                       r"""form_submit_button|date_input|file_uploader|number_input|text_area)\(\s*f?(["'])(.*?)\2""")
    found = []
    for path in [root / "app.py", *(root / "app_pages").glob("*.py"), *(root / "ui").glob("*.py")]:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            for m in calls.finditer(line):
                words = re.sub(r"\{[^}]*\}", "", m.group(3))           # placeholders: t(...), data, numbers
                if re.search(r"[A-Za-z\u4e00-\u9fff]", words) and words.strip() != "Loanwatch":
                    found.append(f"{path.name}:{n}: {m.group(0)}")
    assert not found, "UI text outside the catalog (ui/locales/*.toml):\n" + "\n".join(found)
