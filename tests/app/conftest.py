import pytest

from tests.workspace import Workspace, demo_workspace


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Workspace:
    return demo_workspace(tmp_path_factory)


@pytest.fixture
def demo_env(demo, monkeypatch) -> Workspace:
    """This test reads the shared demo workspace (set after tests/conftest.py's isolated home)."""
    for name, value in demo.env.items():
        monkeypatch.setenv(name, value)
    return demo
