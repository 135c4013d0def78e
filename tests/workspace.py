"""A small demo workspace, built once per test session and shared by the AppTest and browser suites."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import pytest

# demo user -> the role build_demo gives it; the password is "<user>-demo"
DEMO_USERS = {"admin": "admin", "risk": "risk_manager", "exec": "executive", "validator": "model_validator",
              "officer": "credit_officer", "collector": "collector"}
DEMO_LOANS, DEMO_MONTHS = 2000, 12


@dataclass(frozen=True)
class Workspace:
    home: Path
    env: dict[str, str]          # the variables that point a process (or a test) at this workspace


_built: dict[str, Workspace] = {}


def workspace_env(root: Path) -> dict[str, str]:
    """Everything a Loanwatch process reads about where it lives, inside `root` (never the developer's ./var)."""
    return {
        "LOANWATCH_HOME": str(root / "home"),
        "LOANWATCH_SECRET_KEY": base64.urlsafe_b64encode(b"w" * 32).decode(),
        "LOANWATCH_COOKIE_KEY": "test-cookie-key-not-secret-0123456789",
        "LOANWATCH_SECRETS_FILE": str(root / "secrets.toml"),
        "LOANWATCH_WORKFLOW_URL": f"sqlite:///{root / 'workflow.sqlite'}",
        "LOANWATCH_LOGIN_SLEEP_TIME": "0",
    }


def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The demo book (DEMO_LOANS loans, DEMO_MONTHS month-ends) and the demo users, built on first use."""
    if "demo" not in _built:
        root = tmp_path_factory.mktemp("demo-workspace")
        env = workspace_env(root)
        with pytest.MonkeyPatch.context() as mp:
            for name, value in env.items():
                mp.setenv(name, value)
            from data.demo import build_demo
            build_demo(n_loans=DEMO_LOANS, months=DEMO_MONTHS, home=Path(env["LOANWATCH_HOME"]))
        _built["demo"] = Workspace(Path(env["LOANWATCH_HOME"]), env)
    return _built["demo"]
