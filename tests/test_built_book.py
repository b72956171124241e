"""The built book works offline: runs tests/check_offline_html.py's checks under pytest.

Skipped when the book has not been built (`make book` builds it into _build/html); .ci/run calls
the check script itself right after building.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"

_spec = importlib.util.spec_from_file_location("check_offline_html", Path(__file__).with_name("check_offline_html.py"))
check_offline_html = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_offline_html)


@pytest.fixture
def html() -> Path:
    if not (HTML / "index.html").is_file():
        pytest.skip("book not built (_build/html/index.html missing): run `make book`")
    return HTML


def test_no_resources_from_other_hosts(html):
    remote = check_offline_html.find_remote_resources(html)
    assert not remote, f"built pages load resources from other hosts: {remote}"


def test_math_and_widgets_render_offline(html):
    browser = check_offline_html.find_browser()
    if browser is None:
        pytest.skip("Chromium not installed")
    page = check_offline_html.pick_page(html)
    if page is None:
        pytest.skip("no built page has both math and a widget")
    assert check_offline_html.check_rendering(browser, page) == []


def test_is_remote():  # runs without a built book
    is_remote = check_offline_html.is_remote
    assert is_remote("https://cdn.jsdelivr.net/x.js") and is_remote("//fonts.example/a.css")
    assert not is_remote("../_static/vendor/mathjax/tex-chtml-full.js")
    assert not is_remote("_static/x.css")
