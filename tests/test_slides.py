"""The slides: static decks are current and render offline; RISE starts in JupyterLab.

The browser tests drive Debian's chromium (/usr/bin/chromium) through Playwright,
headless, and are skipped with a reason when it is not installed.
"""
import hashlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SHOTS = ROOT / "slides" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="chromium is not installed (apt-get install chromium)")
ids = [p.stem for p in NOTEBOOKS]


def deck_of(notebook):
    return ROOT / "slides" / f"{notebook.stem}.html"


def count_cells(notebook, *slide_types):
    nb = nbformat.read(notebook, as_version=4)
    return sum(c.metadata.get("slideshow", {}).get("slide_type") in slide_types
               for c in nb.cells)


def slide_count(notebook):
    """Slides reveal.js should show: one per `slide` or `subslide` cell."""
    return count_cells(notebook, "slide", "subslide")


def test_there_are_two_notebooks_and_two_decks():
    assert [p.stem for p in NOTEBOOKS] == ["01-mlp-scratch", "02-mlp-concise"]
    assert all(deck_of(p).exists() for p in NOTEBOOKS)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_deck_is_built_from_the_current_notebook(notebook):
    html = deck_of(notebook).read_text(encoding="utf-8")
    tag = re.search(r'<meta[^>]*name="source-sha256"[^>]*>', html)
    assert tag, f"{deck_of(notebook).name} has no source hash: rebuild with `make slides`"
    built_from = re.search(r'content="([0-9a-f]{64})"', tag.group(0))
    assert built_from.group(1) == hashlib.sha256(notebook.read_bytes()).hexdigest(), (
        f"{deck_of(notebook).name} is stale: run `make slides`")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_deck_loads_nothing_from_the_network(notebook):
    html = deck_of(notebook).read_text(encoding="utf-8")
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', html)


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_offline(browser, url):
    """A page at url whose requests beyond file:, data: and localhost all fail."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.problems, page.external = [], []

    def only_local(route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:", "http://127.0.0.1")):
            return route.continue_()
        page.external.append(url)
        return route.abort()

    page.route("**/*", only_local)
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.goto(url)
    return page


@needs_chromium
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_static_deck_renders_offline(browser, notebook):
    page = open_offline(browser, deck_of(notebook).as_uri())
    page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=30_000)
    page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise",
                           timeout=30_000)
    page.evaluate("MathJax.startup.promise")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"{notebook.stem}-title.png")

    assert page.evaluate("Reveal.getTotalSlides()") == slide_count(notebook)
    assert page.evaluate("document.querySelectorAll('mjx-container').length") > 0
    markdown = page.evaluate(
        "Array.from(document.querySelectorAll('.jp-RenderedMarkdown')).map(e => e.textContent)")
    assert not [text for text in markdown if "$" in text], "raw TeX left in the deck"
    images = page.evaluate(
        "Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)")
    assert images and all(images)
    assert page.external == [] and page.problems == []

    equation = page.evaluate("""() => {
        const slide = Reveal.getSlides().find(s => s.querySelector('mjx-container'));
        const i = Reveal.getIndices(slide); Reveal.slide(i.h, i.v); return i; }""")
    assert equation is not None
    page.screenshot(path=SHOTS / f"{notebook.stem}-equation.png")
    page.context.close()


@needs_chromium
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_static_deck_prints_one_pdf_page_per_slide_and_fragment(browser, notebook):
    # a slide taller than 720 px would spill onto extra pages
    page = open_offline(browser, deck_of(notebook).as_uri() + "?print-pdf")
    page.wait_for_function("document.querySelectorAll('.reveal .pdf-page').length > 0",
                           timeout=30_000)  # reveal.js has laid out the print view
    page.evaluate("MathJax.startup.promise")
    pdf = page.pdf(width="1280px", height="720px", print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == slide_count(notebook) + count_cells(notebook, "fragment")
    assert page.problems == []
    page.context.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyter_lab():
    """JupyterLab on localhost with a token, as `make lab` starts it."""
    port, token = free_port(), hashlib.sha256(os.urandom(16)).hexdigest()[:32]
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", f"--IdentityProvider.token={token}",
               "--LabApp.expose_app_in_browser=True", str(ROOT / "notebooks")]
    if os.geteuid() == 0:
        command.append("--allow-root")
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("jupyter lab did not start within 60 s")
    yield base, token
    server.terminate()
    server.wait(timeout=30)


def test_jupyter_lab_requires_the_token(jupyter_lab):
    base, _ = jupyter_lab
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{base}/api/contents")
    assert refused.value.code == 403


@needs_chromium
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_rise_slideshow_starts_in_jupyterlab(browser, jupyter_lab, notebook):
    base, token = jupyter_lab
    page = open_offline(browser, f"{base}/lab/tree/{notebook.name}?reset&token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    with page.context.expect_page(timeout=30_000) as opened:
        page.evaluate("window.jupyterapp.commands.execute('RISE:slideshow')")
    rise = opened.value
    rise.wait_for_selector(".reveal .slides section.present", timeout=60_000)
    title = nbformat.read(notebook, as_version=4).metadata["title"]
    rise.wait_for_function(f"document.querySelector('.reveal .slides section.present')"
                           f".innerText.includes({title!r})", timeout=30_000)
    SHOTS.mkdir(exist_ok=True)
    rise.screenshot(path=SHOTS / f"{notebook.stem}-rise.png")
    for _ in range(30):  # walk to the first slide with an equation, and check it rendered
        if rise.evaluate("document.querySelector('section.present mjx-container') !== null"):
            break
        rise.keyboard.press("ArrowRight")
        time.sleep(0.5)
    assert rise.evaluate("document.querySelector('section.present mjx-container') !== null")
    rise.screenshot(path=SHOTS / f"{notebook.stem}-rise-equation.png")
    page.context.close()
