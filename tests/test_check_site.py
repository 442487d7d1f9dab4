"""scripts/site/check_site.py, the site's check in a real browser: it finds what it says it finds.

The browser test needs Debian's chromium (`apt-get install -y chromium`; CI installs it) and
Playwright (requirements-dev.txt) and is skipped without them; the link and anchor checks run
everywhere, a learners' environment included.
"""

import importlib.util
import re
import shutil

import pytest

from helpers import config


def check_site_script():
    path = config.REPO_ROOT / "scripts" / "site" / "check_site.py"
    spec = importlib.util.spec_from_file_location("check_site", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def site(tmp_path):
    """A two-page site: a good page, and a page with every fault the check looks for."""
    (tmp_path / "good.html").write_text(
        '<!doctype html><title>good</title><h1 id="top">Good</h1><a href="bad.html">bad</a>'
        '<div class="prev-next-area"><a href="bad.html">next</a></div>', encoding="utf-8")
    (tmp_path / "bad.html").write_text(
        '<!doctype html><title>bad</title><img src="missing.png" alt="">'
        '<a href="good.html#top">fine</a><a href="good.html#nowhere">no anchor</a>'
        '<a href="gone.html">no page</a><script>undefined_function()</script>', encoding="utf-8")
    return tmp_path


def test_links_to_missing_pages_and_anchors_are_found(site):
    check = check_site_script().check_link
    base = "http://127.0.0.1:1/bad.html"
    assert check(site, base, "http://127.0.0.1:1/good.html#top") is None
    assert check(site, base, "http://127.0.0.1:1/good.html#nowhere") == \
        "link to a missing anchor: http://127.0.0.1:1/good.html#nowhere"
    assert check(site, base, "http://127.0.0.1:1/gone.html").startswith("link to a missing page")


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
@pytest.mark.skipif(importlib.util.find_spec("playwright") is None,
                    reason="needs Playwright, a maintainers' tool (requirements-dev.txt)")
def test_the_browser_check_reports_each_fault_and_passes_a_good_page(site, tmp_path_factory):
    shots = tmp_path_factory.mktemp("screenshots")
    failures, _ = check_site_script().check_site(site, ["good.html", "bad.html"], shots)
    assert "good.html" not in failures
    bad = "\n".join(failures["bad.html"])
    for fault in ("image did not load: missing.png", "JavaScript error", "missing anchor",
                  "missing page", "HTTP 404", "no previous/next links"):
        assert fault in bad
    assert failures["search.html"] == ["no search page (404)"]
    assert (shots / "good.png").is_file() and (shots / "bad.png").is_file()


def test_a_notebook_without_its_page_stops_the_check(tmp_path):
    (tmp_path / "index.html").write_text("<!doctype html><title>home</title>", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"missing pages in .*notebooks/01_data_preparation.html"):
        check_site_script().pages_to_check(tmp_path)


def test_ci_builds_the_site_and_then_checks_it_in_the_browser():
    ci = (config.REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    steps = re.findall(r"^step (.+)$", ci, flags=re.M)
    assert "chromium" in ci, "CI installs Debian's chromium"
    assert steps.index("python course.py site") < steps.index("python course.py check-site")
    course = (config.REPO_ROOT / "course.py").read_text(encoding="utf-8")
    assert re.search(r'"check-site": \(.*?\["scripts/site/check_site.py"\]\)', course, re.S)
