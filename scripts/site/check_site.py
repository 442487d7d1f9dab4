"""Check the built course site in a real browser: pages, links, anchors, images, no errors.

Usage (after `python course.py run` or `python course.py site`; needs Debian's chromium, or
CHROMIUM=/path/to/chrome):

    python scripts/site/check_site.py       # checks build/html/, screenshots in build/screenshots/

Serves build/html/ over http on 127.0.0.1 (Python's http.server), opens the landing page and
every notebook page of both editions in headless Chromium (driven by Playwright, no browser
download), and fails on: a notebook without its page, a page that does not load, a JavaScript
error or a failed request to the site while loading, an image that did not load, an internal
link to a missing page or a missing anchor, a notebook page without previous/next links, and a
search that finds nothing. Requests to other hosts are blocked (the machine is
offline; e.g. MathJax's CDN) and counted, not failed. A screenshot of each page (1280 px wide,
its first screen) is saved so a person can look.

Playwright is a maintainers' tool (requirements-dev.txt; `python course.py check-site` installs
it): it is imported when the browser starts, so the link checks run without it.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urldefrag, urljoin, urlparse

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

REPO = Path(__file__).resolve().parents[2]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without a log line per request."""

    def log_message(self, format, *args):  # noqa: A002 (the base class's signature)
        pass


def pages_to_check(site: Path) -> list[str]:
    """The landing page and each notebook's page in both editions (site-relative paths).

    Raises
    ------
    SystemExit
        When a notebook of notebooks/ has no page (in either edition) or there is no landing page.
    """
    pages = ["index.html"]
    for notebook in sorted((REPO / "notebooks").glob("[0-9][0-9]*_*.ipynb")):
        pages += [f"notebooks/{notebook.stem}.html", f"student/{notebook.stem}.html"]
    missing = [page for page in pages if not (site / page).is_file()]
    if missing:
        sys.exit(f"error: missing pages in {site}: {', '.join(missing)} "
                 "(build it first: python course.py site)")
    return pages


def find_chromium() -> str:
    """Debian's chromium (or the browser named by $CHROMIUM)."""
    found = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not found:
        sys.exit("error: no chromium found: `apt-get install -y chromium`, or set CHROMIUM")
    return found


def anchors_of(path: Path) -> set[str]:
    """The ids (and old-style names) a page defines: the targets of #fragment links."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return set(re.findall(r'\b(?:id|name)="([^"]+)"', text))


def check_link(site: Path, page_url: str, href: str) -> str | None:
    """The problem with one internal link, or None: a missing file or a missing anchor."""
    target, fragment = urldefrag(urljoin(page_url, href))
    path = site / unquote(urlparse(target).path).lstrip("/")
    if path.is_dir():
        path = path / "index.html"
    if not path.is_file():
        return f"link to a missing page: {href}"
    if fragment and path.suffix == ".html" and unquote(fragment) not in anchors_of(path):
        return f"link to a missing anchor: {href}"
    return None


def check_page(page, site: Path, base: str, name: str, shots: Path) -> tuple[list[str], int]:
    """Load one page; return its problems and the number of blocked external requests."""
    problems, blocked = [], []
    page.on("console", lambda m: problems.append(f"console error: {m.text}")
            if m.type == "error" and "net::ERR_FAILED" not in m.text else None)
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on("requestfailed", lambda r: (blocked if not r.url.startswith(base) else problems)
            .append(f"request failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 else None)
    response = page.goto(base + name, wait_until="load")
    if response is None or not response.ok:
        return [f"did not load ({response.status if response else 'no response'})"], 0
    broken = page.eval_on_selector_all(
        "img", "images => images.filter(i => !(i.complete && i.naturalWidth > 0))"
               ".map(i => i.getAttribute('src'))")
    problems += [f"image did not load: {src}" for src in broken]
    if name != "index.html" and page.locator(".prev-next-area a").count() == 0:
        problems.append("no previous/next links")
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    for href in sorted(set(hrefs)):
        if href.startswith(base):
            problem = check_link(site, base + name, href)
            if problem:
                problems.append(problem)
    shot = shots / (name.replace("/", "__").removesuffix(".html") + ".png")
    page.screenshot(path=str(shot))
    return problems, len(blocked)


def check_search(page, base: str, word: str = "runoff") -> list[str]:
    """The site's search finds a word every notebook uses; its problems, or an empty list."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    response = page.goto(f"{base}search.html?q={word}", wait_until="load")
    if response is None or not response.ok:
        return [f"no search page ({response.status if response else 'no response'})"]
    try:
        page.wait_for_selector("ul.search li", timeout=20_000)
    except PlaywrightTimeout:
        return [f"search for {word!r} found nothing"]
    return []


@contextlib.contextmanager
def served(site: Path) -> Iterator[str]:
    """Serve ``site`` over http on 127.0.0.1 (a free port) and yield its base address."""
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(QuietHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium(base: str) -> Iterator[BrowserContext]:
    """Headless Chromium with a fresh profile; requests outside ``base`` are blocked."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sys.exit("the browser check needs Playwright, a maintainers' tool: run it as "
                 "`python course.py check-site`, which installs requirements-dev.txt first")
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        browser = playwright.chromium.launch_persistent_context(
            profile, executable_path=find_chromium(), headless=True, args=FLAGS,
            viewport={"width": 1280, "height": 900})
        browser.route("**/*", lambda route: route.continue_()
                      if route.request.url.startswith(base) else route.abort())
        try:
            yield browser
        finally:
            browser.close()


def check_site(site: Path, pages: list[str], shots: Path) -> tuple[dict[str, list[str]], int]:
    """Check the search and each page in Chromium.

    Returns
    -------
    tuple of (dict, int)
        Page -> its problems (pages without problems left out), and the number of requests to
        other hosts that were blocked.
    """
    failures, blocked = {}, 0
    with served(site) as base, chromium(base) as browser:
        page = browser.new_page()
        searched = check_search(page, base)
        print(f"{'FAIL' if searched else 'ok  '} search.html")
        if searched:
            failures["search.html"] = searched
        page.close()
        for name in pages:
            page = browser.new_page()
            problems, outside = check_page(page, site, base, name, shots)
            blocked += outside
            page.close()
            print(f"{'FAIL' if problems else 'ok  '} {name}")
            if problems:
                failures[name] = problems
    return failures, blocked


def main() -> None:
    """Serve the site, check each page in Chromium, print the problems, exit 1 if any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", type=Path, default=REPO / "build" / "html")
    parser.add_argument("--screenshots", type=Path, default=REPO / "build" / "screenshots")
    args = parser.parse_args()
    site = args.site.resolve()
    pages = pages_to_check(site)
    args.screenshots.mkdir(parents=True, exist_ok=True)
    failures, blocked = check_site(site, pages, args.screenshots)
    for name, problems in failures.items():
        print(f"\n{name}:\n  " + "\n  ".join(problems))
    print(f"\n{len(pages)} pages checked in Chromium, {len(failures)} with problems; "
          f"{blocked} requests to other hosts blocked (offline); screenshots in {args.screenshots}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
