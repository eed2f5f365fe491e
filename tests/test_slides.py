"""The slides: static decks are current and render offline; RISE starts in JupyterLab.

The browser tests drive Debian's chromium (/usr/bin/chromium) through Playwright,
headless, and are skipped with a reason when it is not installed.
"""
import hashlib
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SHOTS = ROOT / "slides" / "screenshots"
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))  # Debian's
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="chromium is not installed (apt-get install chromium)")
ids = [p.stem for p in NOTEBOOKS]

# Readable from the back of a hall, at the decks' 1280x720 (sizes as rendered, in CSS px).
MIN_PX = {"text": 28, "code": 22, "output": 20}
MIN_FIGURE_WIDTH = 640  # half the slide
MIN_LABEL_PX = 18  # a figure's smallest text (tick labels, titles), as scaled on the slide

# Measures the slide on screen: the smallest font of each kind of text, each figure's
# drawn width and label size, overflow, and whether the slide number hits the controls.
METRICS = r"""() => {
  const present = Array.from(document.querySelectorAll('.reveal .slides section.present'));
  const slide = present[present.length - 1];
  const slides = document.querySelector('.reveal .slides');
  const scale = slides.getBoundingClientRect().width / slides.offsetWidth;
  const shown = el => el.getClientRects().length > 0;
  const min = {text: null, code: null, output: null};
  const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode());) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !shown(el)) continue;
    if (el.closest('aside.notes, svg, mjx-container, style, script')) continue;
    const kind = el.closest('.jp-OutputArea-output') ? 'output'
      : el.closest('.jp-CodeCell .jp-InputArea, .cm-editor, pre, code') ? 'code' : 'text';
    const px = parseFloat(getComputedStyle(el).fontSize) * scale;
    min[kind] = min[kind] === null ? px : Math.min(min[kind], px);
  }
  // Figures: drawn width, and the rendered size of their smallest text. Matplotlib's SVG
  // is in points and draws each text as glyphs scaled by fontsize/100: "scale(0.1 -0.1)".
  const figures = [];
  for (const el of slide.querySelectorAll('.jp-OutputArea-output svg, .jp-OutputArea-output img')) {
    if (!shown(el) || el.parentElement.closest('svg')) continue;
    const box = el.getBoundingClientRect();
    let source = '', width = box.width;
    if (el.tagName.toLowerCase() === 'svg') {
      source = el.outerHTML;
      const ctm = el.getScreenCTM(), vb = el.viewBox.baseVal;
      if (vb && vb.width) width = vb.width * ctm.a;
    } else {
      if (el.naturalWidth)  // drawn size inside the box (object-fit: contain)
        width = Math.min(box.width, box.height * el.naturalWidth / el.naturalHeight);
      const [head, data] = el.src.split(',', 2);
      if (head.startsWith('data:image/svg'))
        source = head.endsWith(';base64') ? atob(data) : decodeURIComponent(data);
    }
    const viewBox = source.match(/viewBox="[\d.]+ [\d.]+ ([\d.]+) /);
    const scales = [...source.matchAll(/scale\(([\d.]+) -\1\)/g)]
      .map(m => +m[1]).filter(s => s < 0.5);
    const label = viewBox && scales.length
      ? Math.round(Math.min(...scales) * 100 * width / +viewBox[1] * 10) / 10 : null;
    figures.push({width: Math.round(width), label});
  }
  const scrolls = [slide, ...slide.querySelectorAll('pre, .jp-OutputArea-output, .cm-scroller')]
    .filter(el => shown(el) && (el.scrollHeight > el.clientHeight + 1 ||
                                el.scrollWidth > el.clientWidth + 1))
    .map(el => el.className || el.tagName);
  const rect = sel => { const e = document.querySelector(sel);
                        return e && shown(e) ? e.getBoundingClientRect() : null; };
  const number = rect('.reveal .slide-number');
  const overlap = !!number && Array.from(document.querySelectorAll('.reveal .controls button'))
    .filter(shown).map(b => b.getBoundingClientRect())
    .some(c => number.left < c.right && c.left < number.right &&
               number.top < c.bottom && c.top < number.bottom);
  const progress = rect('.reveal .progress');
  return {text: min.text, code: min.code, output: min.output, figures, overflow: scrolls,
          chrome_overlap: overlap, progress_height: progress ? progress.height : 0,
          slide_number: !!number};
}"""


def deck_of(notebook):
    return ROOT / "slides" / f"{notebook.stem}.html"


def count_cells(notebook, *slide_types):
    nb = nbformat.read(notebook, as_version=4)
    return sum(c.metadata.get("slideshow", {}).get("slide_type") in slide_types
               for c in nb.cells)


def count_figures(notebook):
    """Figures in the notebook's slides: SVG or PNG outputs of cells that are not skipped."""
    nb = nbformat.read(notebook, as_version=4)
    return sum(any(k in out.get("data", {}) for k in ("image/svg+xml", "image/png"))
               for c in nb.cells if c.cell_type == "code"
               and c.metadata.get("slideshow", {}).get("slide_type") != "skip"
               for out in c.outputs)


def slide_count(notebook):
    """Slides reveal.js should show: one per `slide` or `subslide` cell."""
    return count_cells(notebook, "slide", "subslide")


def unreadable(metrics):
    """What is wrong with one slide's METRICS, as short phrases (empty: nothing)."""
    problems = [f"{kind} {metrics[kind]:.1f}px < {px}px" for kind, px in MIN_PX.items()
                if metrics[kind] is not None and metrics[kind] < px - 0.05]
    for figure in metrics["figures"]:
        if figure["width"] < MIN_FIGURE_WIDTH:
            problems.append(f"figure {figure['width']}px wide < {MIN_FIGURE_WIDTH}px")
        if figure["label"] is not None and figure["label"] < MIN_LABEL_PX:
            problems.append(f"figure labels {figure['label']}px < {MIN_LABEL_PX}px")
    if metrics["overflow"]:
        problems.append(f"overflows ({', '.join(metrics['overflow'])})")
    if metrics["chrome_overlap"]:
        problems.append("slide number overlaps the controls")
    if metrics["progress_height"] < 3:
        problems.append("no progress bar")
    return problems


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
def test_every_static_slide_is_readable_and_fits(browser, notebook):
    page = open_offline(browser, deck_of(notebook).as_uri())
    page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=30_000)
    page.evaluate("MathJax.startup.promise")
    slides = page.evaluate("Reveal.getSlides().map(s => Reveal.getIndices(s))")
    failures, figures = [], 0
    for number, at in enumerate(slides, start=1):
        page.evaluate(f"Reveal.slide({at['h']}, {at['v'] or 0}, 999)")  # all fragments shown
        metrics = page.evaluate(METRICS)
        figures += len(metrics["figures"])
        failures += [f"slide {number}: {problem}" for problem in unreadable(metrics)]
    page.context.close()
    assert failures == []
    assert figures == count_figures(notebook)


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
def jupyter_lab(tmp_path_factory):
    """JupyterLab on localhost with a token and the notebooks trusted, started by `make lab`.

    Trust signatures go to a temporary Jupyter data folder, not the user's.
    """
    env = {**os.environ, "JUPYTER_DATA_DIR": str(tmp_path_factory.mktemp("jupyter-data"))}
    port, token = free_port(), hashlib.sha256(os.urandom(16)).hexdigest()[:32]
    server = subprocess.Popen(  # the README's `make lab`, on a free port with a known token
        ["make", "-s", "lab", f"LAB_ARGS=--no-browser --port={port} "
         f"--IdentityProvider.token={token} --LabApp.expose_app_in_browser=True"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)  # its own process group: make, then jupyter under it
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        os.killpg(server.pid, signal.SIGKILL)
        pytest.fail("`make lab` did not start JupyterLab within 60 s")
    yield base, token
    os.killpg(server.pid, signal.SIGTERM)
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
    # Walk the whole slideshow (slides and fragments); measure each slide once.
    seen, failures, equations, figures = [], [], 0, 0
    present = ("(() => { const s = Array.from(document.querySelectorAll("
               "'.reveal .slides section.present')).pop();"
               " return s.dataset.measured ??= String(Math.random()); })()")
    for _ in range(slide_count(notebook) + count_cells(notebook, "fragment") + 3):
        time.sleep(0.4)  # RISE renders the slide, then MathJax typesets it
        key = rise.evaluate(present)
        if key not in seen:
            seen.append(key)
            metrics = rise.evaluate(METRICS)
            figures += len(metrics["figures"])
            failures += [f"RISE slide {len(seen)}: {p}" for p in unreadable(metrics)]
            if rise.evaluate("document.querySelector('section.present mjx-container') !== null"):
                equations += 1
                if equations == 1:
                    rise.screenshot(path=SHOTS / f"{notebook.stem}-rise-equation.png")
        rise.evaluate("document.activeElement && document.activeElement.blur()")
        rise.keyboard.press("PageDown")  # reveal.js: next slide or fragment
    page.context.close()
    assert len(seen) == slide_count(notebook)
    assert failures == []
    assert equations > 0
    assert figures == count_figures(notebook)  # SVG figures shown (trusted notebook)


@needs_chromium
def test_exercise_solution_is_folded_in_jupyterlab_until_opened(browser, jupyter_lab):
    base, token = jupyter_lab
    notebook = NOTEBOOKS[0]
    nb = nbformat.read(notebook, as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if "solution" in c.metadata.get("tags", []))
    page = open_offline(browser, f"{base}/lab/tree/{notebook.name}?reset&token={token}")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.evaluate("""async (i) => { const nb = window.jupyterapp.shell.currentWidget.content;
                      nb.activeCellIndex = i; await nb.scrollToItem(i - 2, 'start'); }""",
                  index)
    details = page.locator(".jp-MarkdownCell details").first
    details.wait_for(timeout=30_000)
    page.evaluate("""(el) => el.closest('.jp-Cell').previousElementSibling
                                .previousElementSibling.scrollIntoView()""",
                  details.element_handle())
    page.wait_for_timeout(500)
    code = details.locator("pre")
    assert details.locator("summary").is_visible()
    assert not code.is_visible()  # folded: the student opens it on purpose
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / "exercise-solution-folded.png")
    details.locator("summary").click()
    code.wait_for(state="visible", timeout=10_000)
    assert "tf.where" in code.inner_text()
    page.screenshot(path=SHOTS / "exercise-solution-open.png")
    page.context.close()
