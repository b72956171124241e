#!/usr/bin/env python3
"""Check that the built book works offline.

    python tests/check_offline_html.py _build/html [--page book/crowd_data.html] [--require-browser]

1. Every built HTML page and stylesheet is scanned for resources the browser would fetch from
   another host: ``<script src>``, ``<link href>`` (stylesheets, preloads, icons, ...),
   ``<img|iframe|source|video|audio|embed src>``, ``<object data>``, and CSS ``@import``/``url()``.
   Plain hyperlinks (``<a href>``, including the launch and repository buttons) are allowed.
2. If Chromium is installed, a page with math and a widget is rendered headless with every host
   name made unresolvable, and its DOM must contain MathJax output (``<mjx-container>``) and a
   rendered Jupyter widget (an element of class ``jupyter-widgets``). Without Chromium this part is
   skipped (or fails with ``--require-browser``).

Exit status 0 when every check passed or was skipped, 1 otherwise. ``tests/test_built_book.py``
runs the same checks under pytest.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

# <link rel=...> values that make the browser fetch the target.
FETCHING_RELS = {
    "stylesheet", "preload", "modulepreload", "prefetch", "prerender", "preconnect",
    "dns-prefetch", "icon", "shortcut", "apple-touch-icon", "mask-icon", "manifest",
}
SRC_TAGS = {"script", "img", "iframe", "source", "video", "audio", "embed", "track", "input"}
CSS_URL = re.compile(r"""(?:@import\s+(?:url\()?|url\()\s*['"]?\s*((?:https?:)?//[^'")\s]+)""", re.I)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MATHJAX_OUTPUT = re.compile(r"<mjx-container\b", re.I)
RENDERED_WIDGET = re.compile(r"""<div\b[^>]*\bclass="[^"]*\bjupyter-widgets\b""", re.I)
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def is_remote(url: str) -> bool:
    url = url.strip().lower()
    return url.startswith(("http://", "https://", "//"))


class _RemoteResources(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.remote: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "style":
            self._in_style = True
        if tag in SRC_TAGS:
            for key in ("src", "srcset", "poster"):
                for url in a.get(key, "").split(","):
                    url = url.strip().split(" ")[0]
                    if url and is_remote(url):
                        self.remote.append(f"<{tag} {key}={url}>")
        if tag == "link":
            rels = set(a.get("rel", "").lower().split())
            if rels & FETCHING_RELS and is_remote(a.get("href", "")):
                self.remote.append(f"<link rel={a.get('rel')} href={a['href']}>")
        if tag == "object" and is_remote(a.get("data", "")):
            self.remote.append(f"<object data={a['data']}>")
        if "style" in a:
            self.remote += [f"style url({u})" for u in CSS_URL.findall(a["style"])]

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.remote += [f"<style> {u}" for u in CSS_URL.findall(data)]


def find_remote_resources(html_dir: Path) -> dict[str, list[str]]:
    """Map each built file (relative path) to the remote resources it would load."""
    found: dict[str, list[str]] = {}
    for path in sorted(html_dir.rglob("*.html")):
        parser = _RemoteResources()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        if parser.remote:
            found[path.relative_to(html_dir).as_posix()] = sorted(set(parser.remote))
    for path in sorted(html_dir.rglob("*.css")):
        urls = CSS_URL.findall(path.read_text(encoding="utf-8", errors="replace"))
        if urls:
            found[path.relative_to(html_dir).as_posix()] = sorted(set(urls))
    return found


def find_browser() -> str | None:
    for name in BROWSERS:
        if path := shutil.which(name):
            return path
    return None


def pick_page(html_dir: Path) -> Path | None:
    """The first page (in path order) that has both display math and a widget view."""
    for path in sorted(html_dir.rglob("*.html")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if WIDGET_VIEW in text and 'class="math' in text:
            return path
    return None


def chromium_args(browser: str, user_data_dir: str) -> list[str]:
    return [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
        # Offline: no host name resolves, so a CDN request fails instead of hiding a gap.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={user_data_dir}", "--virtual-time-budget=10000",
    ]


def render_dom(browser: str, page: Path, timeout: float = 120) -> str:
    with tempfile.TemporaryDirectory(prefix="crowdtut-chromium-") as profile:
        result = subprocess.run(
            chromium_args(browser, profile) + ["--dump-dom", page.resolve().as_uri()],
            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        )
    if result.returncode != 0:
        raise RuntimeError(f"{browser} exited {result.returncode}: {result.stderr[-2000:]}")
    return result.stdout


def screenshot(browser: str, page: Path, png: Path, size: str = "1280,1400") -> None:
    with tempfile.TemporaryDirectory(prefix="crowdtut-chromium-") as profile:
        subprocess.run(
            chromium_args(browser, profile)
            + [f"--window-size={size}", f"--screenshot={png.resolve()}", page.resolve().as_uri()],
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, check=True,
        )


def check_rendering(browser: str, page: Path) -> list[str]:
    """Problems with the rendered page (empty when math and widgets rendered)."""
    dom = render_dom(browser, page)
    problems = []
    if not MATHJAX_OUTPUT.search(dom):
        problems.append(f"{page}: no MathJax output (<mjx-container>) in the rendered DOM")
    if not RENDERED_WIDGET.search(dom):
        problems.append(f"{page}: no rendered widget (class jupyter-widgets) in the rendered DOM")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check that the built book works offline.")
    parser.add_argument("html_dir", type=Path, help="the built HTML, e.g. _build/html")
    parser.add_argument("--page", help="page to render, relative to html_dir (default: the first "
                        "page with math and a widget)")
    parser.add_argument("--require-browser", action="store_true",
                        help="fail instead of skipping when Chromium is not installed")
    parser.add_argument("--screenshot", type=Path, help="also save a PNG of the rendered page")
    args = parser.parse_args(argv)

    if not (args.html_dir / "index.html").is_file():
        print(f"check_offline_html: {args.html_dir}/index.html not found: build the book first")
        return 1
    failed = False

    remote = find_remote_resources(args.html_dir)
    n_pages = sum(1 for _ in args.html_dir.rglob("*.html"))
    if remote:
        failed = True
        print(f"check_offline_html: FAIL: {len(remote)} file(s) load resources from other hosts:")
        for name, urls in remote.items():
            for url in urls:
                print(f"  {name}: {url}")
    else:
        print(f"check_offline_html: ok: {n_pages} pages load nothing from other hosts")

    browser = find_browser()
    if browser is None:
        msg = "Chromium not found, rendering check skipped"
        if args.require_browser:
            print(f"check_offline_html: FAIL: {msg}")
            return 1
        print(f"check_offline_html: SKIP: {msg}")
        return 1 if failed else 0
    page = args.html_dir / args.page if args.page else pick_page(args.html_dir)
    if page is None or not page.is_file():
        print("check_offline_html: FAIL: no page with both math and a widget to render")
        return 1
    problems = check_rendering(browser, page)
    if args.screenshot:
        screenshot(browser, page, args.screenshot)
    if problems:
        failed = True
        for p in problems:
            print(f"check_offline_html: FAIL: {p}")
    else:
        print(f"check_offline_html: ok: {page.relative_to(args.html_dir)} renders math and widgets offline")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
