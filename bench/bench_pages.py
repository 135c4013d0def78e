"""Benchmark of every page as a person sees it: `streamlit run app.py` on a demo book, Chromium logged in as the
first demo user allowed to open each page, the time from clicking the page in the menu until its heading, every
chart drawn by plotly and the end of Streamlit's run (the "running" indicator gone).

    python bench/bench_pages.py                               # the cached 1,000,000-loan book of bench_analytics
    python bench/bench_pages.py --loans 50000 --home /tmp/lw-bench --repeat 5

The workspace is the one bench_analytics.py builds and caches (loans-<n>-m<months>-s<seed>/ under --home); its
demo users are used (password "<user>-demo"). For each page: the first (cold: caches empty) visit, then the median
of --repeat warm visits (going to another page and back in between, as a person would). Target (issue 4): every
page fully drawn within 1.5 s. Screenshots of the last warm visit go to --shots when given.
"""
from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))
from bench_analytics import book_arguments, workspace  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
STATUS = '[data-testid="stStatusWidget"]'
CHART = '[data-testid="stPlotlyChart"]'
PLOT = CHART + " .js-plotly-plot"
SIDEBAR = '[data-testid="stSidebar"]'
USERS = {"admin": "admin", "risk": "risk_manager", "exec": "executive", "validator": "model_validator",
         "officer": "credit_officer", "collector": "collector"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
         "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"streamlit did not start:\n{log.read_text()[-2000:]}")


def drawn(page, stem: str, timeout: float = 120_000) -> None:
    """At the page's address, its heading shown, Streamlit's run finished (the app's script state, not the
    "running" indicator, which appears only after a delay) and every chart on screen drawn by plotly."""
    page.wait_for_function("(stem) => location.pathname.replace(/\\/$/, '').endsWith('/' + stem) || "
                           "(stem === '' && location.pathname === '/')", arg=stem, timeout=timeout)
    page.locator("h1").first.wait_for(timeout=timeout)
    page.wait_for_function(f"""() => {{
        const app = document.querySelector('[data-test-script-state]');
        if (!app || app.getAttribute('data-test-script-state') === 'running') return false;
        return [...document.querySelectorAll('{CHART}')].filter(c => c.offsetParent !== null)
            .every(c => c.querySelector('.js-plotly-plot'));
    }}""", timeout=timeout)


def visit(page, title: str, stem: str) -> float:
    before = page.locator("h1").first.inner_text()
    t = time.perf_counter()
    page.locator(SIDEBAR).get_by_role("link", name=title, exact=True).click()
    # the old page stays on screen until the new run replaces it: wait for the new heading first
    page.wait_for_function("(old) => { const h = document.querySelector('h1'); return h && h.innerText !== old; }",
                           arg=before, timeout=120_000)
    drawn(page, stem)
    return (time.perf_counter() - t) * 1000


def stem(spec, home=None) -> str:
    """The page's address: its file stem, or "" for the user's home page (Streamlit serves it at /)."""
    return "" if home is not None and spec.path == home.path else spec.path.split("/")[-1][:-3]


def main() -> None:
    ap = book_arguments(__doc__.splitlines()[0], repeat=5, repeat_help="warm visits per page (median)")
    ap.add_argument("--shots", help="folder for a screenshot of each page")
    args = ap.parse_args()
    home = workspace(args)
    from playwright.sync_api import sync_playwright

    from ui import nav
    env = {**os.environ, "LOANWATCH_HOME": str(home), "LOANWATCH_LOGIN_SLEEP_TIME": "0"}
    env.setdefault("LOANWATCH_WORKFLOW_URL", f"sqlite:///{home / 'workflow.sqlite'}")
    proc, url = start_server(env, home.parent / "bench_pages.log")
    shots = Path(args.shots) if args.shots else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    rows, slow = [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM)
            for username, role in USERS.items():
                specs = [s for s in nav.menu([role])]
                home_spec = nav.home([role])
                ctx = browser.new_context(viewport={"width": 1440, "height": 900})
                page = ctx.new_page()
                page.goto(url)
                page.get_by_role("textbox", name="Username").fill(username)
                page.get_by_role("textbox", name="Password").fill(f"{username}-demo")
                t = time.perf_counter()
                page.get_by_role("button", name="Log in").click()
                drawn(page, "")
                login_ms = (time.perf_counter() - t) * 1000
                for spec in specs:
                    title = nav.title(spec, "en")
                    if any(r[1] == title for r in rows):
                        continue                        # each page once, under the first user who may open it
                    other = next((s for s in specs if s.path != spec.path), None)
                    cold = visit(page, title, stem(spec, home_spec)) if spec.path != home_spec.path else login_ms
                    warm = []
                    for _ in range(args.repeat):
                        if other:
                            visit(page, nav.title(other, "en"), stem(other, home_spec))
                        warm.append(visit(page, title, stem(spec, home_spec)))
                    median = statistics.median(warm)
                    charts = page.locator(CHART).count()
                    rows.append((username, title, cold, median, charts))
                    if median > 1500:
                        slow.append(title)
                    if shots:
                        page.screenshot(path=shots / f"{stem(spec)}.png", full_page=True)
                    print(f"{username:10} {title:34} cold {cold:8.0f} ms   warm median {median:7.0f} ms   "
                          f"{charts} charts", flush=True)
                ctx.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print(f"\n{len(rows) - len(slow)} of {len(rows)} pages drawn within 1.5 s (median warm)"
          + (f"; over: {', '.join(slow)}" if slow else "") + f"; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
