"""The static decks and the notebook pages: current, offline, readable, accessible.

The browser tests drive Debian's chromium (conftest.CHROMIUM: its headless shell, or the
desktop browser) through Playwright, and are skipped with a reason when it is not installed.
"""
import hashlib
import re

import nbformat
import pytest
from conftest import CHROMIUM, DESKTOP_CHROMIUM, ROOT, launch

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SHOTS = ROOT / "slides" / "screenshots"
ids = [p.stem for p in NOTEBOOKS]

# Readable from the back of a hall, at the decks' 1280x720 (sizes as rendered, in CSS px).
MIN_PX = {"text": 28, "code": 22, "output": 20}
MIN_FIGURE_WIDTH = 640  # half the slide
MIN_LABEL_PX = 18  # a figure's smallest text (tick labels, titles), as scaled on the slide

# The slide shown: reveal.js marks it present, and, in a vertical stack, the stack around it
# too (class "stack"); a bare `section.present` finds the stack first, with every slide in it.
PRESENT = ".reveal .slides section.present:not(.stack)"
SHOWN = f"document.querySelector('{PRESENT}')"  # the slide shown, in the page's JavaScript

# Measures the slide on screen: the smallest font of each kind of text, each figure's
# drawn width and label size, overflow, and whether the slide number hits the controls.
METRICS = r"""() => {
  const slide = """ + SHOWN + r""";
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


def page_of(notebook):
    """The deck's accessible alternate: the notebook as one web page (`make slides`)."""
    return ROOT / "slides" / f"{notebook.stem}.notebook.html"


def count_cells(notebook, *slide_types):
    nb = nbformat.read(notebook, as_version=4)
    return sum(c.metadata.get("slideshow", {}).get("slide_type") in slide_types
               for c in nb.cells)


def is_figure(output):
    """An image output, or the course's figure (an <img> with its text alternative)."""
    data = output.get("data", {})
    return ("image/svg+xml" in data or "image/png" in data
            or 'class="course-figure"' in data.get("text/html", ""))


def count_figures(notebook):
    """Figures in the notebook's slides: figure outputs of cells that are not skipped."""
    nb = nbformat.read(notebook, as_version=4)
    return sum(is_figure(out) for c in nb.cells if c.cell_type == "code"
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


# -- accessibility: axe-core (WCAG 2.1 A and AA) and the script checks (README, "Accessibility")
AXE = ROOT / "slides" / "vendor" / "node_modules" / "axe-core" / "axe.min.js"  # make slides
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TAB_PRESSES = 12  # per slide: more than the stops a slide has (controls, links, a summary)


def load_axe(page):
    if not AXE.exists():
        pytest.skip("axe-core is not in slides/vendor/: `make slides` fetches it with npm "
                    "(install Node.js)")
    page.add_script_tag(path=str(AXE))


def serious(page, within="html", others_out=False):
    """axe-core's serious and critical violations of WCAG 2.1 A/AA on what is shown now,
    in the element `within` selects (the whole page by default), and any text whose
    contrast it could not determine: "rule: where <element>" each. It waits for running
    transitions to end first: a fragment still fading in has a blended, lower contrast.

    Empty canvases, with a bare box around one, are out of the page while axe-core runs
    (RISE's chalkboard lays a transparent one over every slide): axe-core cannot see
    through a canvas, and without this it left every text's contrast in the slideshow
    undetermined, white-on-white slide numbers included.

    others_out: `within` is the slide shown, and what the other slides hold (hidden, so
    never audited) is out of the page too while axe-core runs; their <section> elements
    stay, since reveal.js counts them and RISE finds a cell's slide by them. axe-core builds
    its tree of the whole page at each run, so this cuts an audit to 0.3-0.4 of its time,
    with the same findings (CHANGELOG, 2026-12-07).
    """
    return page.evaluate("""async ([tags, within, out]) => {
      const root = document.querySelector(within);
      await Promise.all(document.getAnimations()  // not reveal.js's 100 s arrow hint
        .filter(a => a instanceof CSSTransition && root.contains(a.effect.target))
        .map(a => a.finished.catch(() => null)));
      const empty = canvas => {  // every alpha byte 0 (a plain loop: every() took 60 ms)
        const pixels = canvas.width && canvas.getContext('2d')
          ?.getImageData(0, 0, canvas.width, canvas.height).data;
        if (pixels === undefined) return false;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return false;
        return true;
      };
      const shows = el => !['hidden', 'collapse'].includes(getComputedStyle(el).visibility);
      const blank = Array.from(document.querySelectorAll('canvas')).filter(empty).map(canvas => {
        const box = canvas.parentElement;  // a transparent box with nothing else shown
        return !box.matches('.reveal, body') && getComputedStyle(box).backgroundColor ===
          'rgba(0, 0, 0, 0)' && Array.from(box.children).every(k => k === canvas || !shows(k))
          ? box : canvas;
      });
      const style = blank.map(layer => [layer.style.getPropertyValue('display'),
                                        layer.style.getPropertyPriority('display')]);
      blank.forEach(layer => layer.style.setProperty('display', 'none', 'important'));
      // [node, its parent, its next sibling]: what the other slides hold (see others_out)
      const others = !out ? [] : Array.from(document.querySelectorAll('.reveal .slides section'))
        .filter(slide => !slide.contains(root) && !root.contains(slide))
        .flatMap(slide => Array.from(slide.childNodes).filter(n => n.nodeName !== 'SECTION'))
        .map(node => [node, node.parentNode, node.nextSibling]);
      others.forEach(([node]) => node.remove());
      try {
        const found = await axe.run(root, {runOnly: {type: 'tag', values: tags},
                                           resultTypes: ['violations', 'incomplete']});
        const where = n => `${n.target.join(' ')} ${n.html.match(/^<[^>]*>/)?.[0] ?? ''}`;
        return [
          ...found.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .flatMap(v => v.nodes.map(n => `${v.id}: ${where(n)}`)),
          ...found.incomplete.filter(v => v.id === 'color-contrast')
            .flatMap(v => v.nodes.map(n => `color-contrast undetermined (${
              n.any.map(c => c.data?.messageKey).join(', ')}): ${where(n)}`))];
      } finally {  // the page as it was, every node back in its place (the last first)
        others.reverse().forEach(([node, parent, next]) => parent.insertBefore(node, next));
        blank.forEach((layer, i) => layer.style.setProperty('display', ...style[i]));
      }
    }""", [WCAG_TAGS, within, others_out])


def axe_report(found):
    """Violations grouped by rule and element, with the slides they are on."""
    grouped = {}
    for where, violation in found:
        grouped.setdefault(violation, []).append(str(where))
    return "\n".join(f"{v} (on {', '.join(w[:8])}{' ...' if len(w) > 8 else ''})"
                     for v, w in grouped.items())


# The current slide's heading (what a screen reader's heading list shows) and the text
# alternatives of its figures.
SLIDE_A11Y = r"""() => {
  const slide = """ + SHOWN + r""";
  const heading = slide.querySelector('h1, h2, h3, h4, h5, h6');
  const alts = Array.from(slide.querySelectorAll('.jp-OutputArea-output img'))
    .map(i => i.getAttribute('alt') || '');
  const bare = Array.from(slide.querySelectorAll('.jp-OutputArea-output svg'))
    .filter(s => !s.closest('mjx-container') && !s.parentElement.closest('svg'))
    .map(s => s.getAttribute('aria-label') || '');
  return {heading: heading ? heading.textContent.replace('\u00b6', '').trim() : '',
          alts: alts.concat(bare)};
}"""

# Where the focus is: off the current slide?, and the name a screen reader would read.
FOCUS = r"""() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const slide = """ + SHOWN + r""";
  const inSlides = !!el.closest('.reveal .slides');
  const label = el.getAttribute('aria-label') || el.getAttribute('title') || el.innerText || '';
  return {key: el.dataset.focusKey ??= String(Math.random()), tag: el.tagName,
          cls: String(el.className).split(' ')[0], name: label.trim().slice(0, 40),
          off_slide: inSlides && !(slide && slide.contains(el))};
}"""


def tab_stops(page):
    """Press Tab from the top of the page until the focus comes round again: the stops."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    stops = []
    for _ in range(TAB_PRESSES):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUS)
        if stop is None or any(stop["key"] == s["key"] for s in stops):
            break
        stops.append(stop)
    return [{k: v for k, v in stop.items() if k != "key"} for stop in stops]


def test_there_are_two_notebooks_and_two_decks():
    assert [p.stem for p in NOTEBOOKS] == ["01-mlp-scratch", "02-mlp-concise"]
    assert all(deck_of(p).exists() for p in NOTEBOOKS)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
@pytest.mark.parametrize("built", [deck_of, page_of], ids=["deck", "page"])
def test_deck_and_page_are_built_from_the_current_notebook(notebook, built):
    html = built(notebook).read_text(encoding="utf-8")
    tag = re.search(r'<meta[^>]*name="source-sha256"[^>]*>', html)
    assert tag, f"{built(notebook).name} has no source hash: rebuild with `make slides`"
    built_from = re.search(r'content="([0-9a-f]{64})"', tag.group(0))
    assert built_from.group(1) == hashlib.sha256(notebook.read_bytes()).hexdigest(), (
        f"{built(notebook).name} is stale: run `make slides`")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_deck_loads_nothing_from_the_network(notebook):
    html = deck_of(notebook).read_text(encoding="utf-8")
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', html)


# How often a wait asks the page again, in ms. Playwright's default asks at every animation
# frame, and so makes a headless page draw 60 frames a second while it waits (a page load).
POLL_MS = 50


# A proxy no one runs (port 9, "discard"): a page's context sends it every request but
# 127.0.0.1's ("<-loopback>": localhost's too), and each fails at once. It covers the
# popups as well: RISE's slideshow window, whose requests a route on the page that opened
# it never saw.
NOWHERE = {"server": "http://127.0.0.1:9", "bypass": "<-loopback>, 127.0.0.1"}
LOCAL = ("file:", "data:", "blob:", "http://127.0.0.1")


def wait_typeset(page):
    """Until MathJax has loaded in the page and typeset it."""
    page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise",
                           polling=POLL_MS, timeout=30_000)
    page.evaluate("MathJax.startup.promise")


def open_offline(browser, url):
    """A page at url whose requests beyond file:, data: and 127.0.0.1 all fail (listed in
    page.external), seen by a reader who asked the system for reduced motion (rise.css then
    fades nothing in, so an audit has no transition to wait out; `page.emulate_media`
    changes it)."""
    context = browser.new_context(viewport={"width": 1280, "height": 720},
                                  reduced_motion="reduce", proxy=NOWHERE)
    page = context.new_page()
    page.problems, page.external = [], []
    page.on("requestfailed", lambda r: r.url.startswith(LOCAL) or page.external.append(r.url))
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.goto(url)
    return page


def test_static_deck_renders_offline(static_walk):
    notebook, walk = static_walk
    loaded = walk[0]["loaded"]
    assert loaded["slides"] == slide_count(notebook)
    assert loaded["equations"] > 0 and loaded.get("equation_on")  # typeset, shown on a slide
    assert not [text for text in loaded["markdown"] if "$" in text], "raw TeX left in the deck"
    assert loaded["images"] and all(loaded["images"])
    assert loaded["external"] == [] and loaded["problems"] == []


def open_deck(browser, notebook):
    """The notebook's static deck, offline (open_offline), ready and typeset."""
    page = open_offline(browser, deck_of(notebook).as_uri())
    page.wait_for_function("window.Reveal && Reveal.isReady()", polling=POLL_MS,
                           timeout=30_000)
    wait_typeset(page)
    return page


def show_slide(page, number):
    """The deck's slide `number` (from 0, in reading order) on screen, all fragments shown."""
    page.evaluate(f"(at => Reveal.slide(at.h, at.v || 0, 999))"
                  f"(Reveal.getIndices(Reveal.getSlides()[{number}]))")


def read_slide(page, number):
    """The slide shown (the deck's slide `number`, from 0): what METRICS measures, what
    axe-core finds (on the first slide, in the whole page and its controls; then in the
    slide alone, the rest being hidden), its heading and figures' text alternatives, its
    Tab stops, and whether it shows an equation."""
    within = "html" if number == 0 else PRESENT
    # one round trip (it took three)
    shown = page.evaluate(f"""() => ({{metrics: ({METRICS})(), slide: ({SLIDE_A11Y})(),
        equation: document.querySelector('{PRESENT} mjx-container') !== null}})""")
    return {"metrics": shown["metrics"], "axe": serious(page, within, others_out=number > 0),
            "slide": shown["slide"], "tab": tab_stops(page), "equation": shown["equation"]}


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=ids)
def static_walk(request, browser):
    """A static deck as loaded (offline: what it shows, what it asked the network for), then
    every slide, all fragments shown: what METRICS measures, what axe-core finds (WCAG 2.1 A
    and AA), and where Tab goes; what moves as a fragment shows. One walk serves the tests
    below."""
    notebook = request.param
    page = open_deck(browser, notebook)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"{notebook.stem}-title.png")
    loaded = page.evaluate("""() => ({
        slides: Reveal.getTotalSlides(),
        equations: document.querySelectorAll('mjx-container').length,
        markdown: Array.from(document.querySelectorAll('.jp-RenderedMarkdown'))
          .map(e => e.textContent),
        images: Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)})""")
    load_axe(page)
    walk = []
    for number in range(loaded["slides"]):
        show_slide(page, number)
        walk.append(read_slide(page, number))
        if "equation_on" not in loaded and walk[-1]["equation"]:
            loaded["equation_on"] = number + 1  # the first slide with an equation
            page.screenshot(path=SHOTS / f"{notebook.stem}-equation.png")
    # The keyboard alone: from the first slide, PageDown (next slide or fragment) to the end.
    page.evaluate("Reveal.slide(0, 0, -1)")
    seen = set()
    for _ in range(slide_count(notebook) + count_cells(notebook, "fragment") + 2):
        seen.add(page.evaluate("(i => `${i.h}.${i.v || 0}`)(Reveal.getIndices())"))
        page.keyboard.press("PageDown")
    walk[0]["reached"] = len(seen)
    # Reduced motion last (the page was loaded with it), after everyone else's fades.
    walk[0]["fading"] = {motion: fading_after_a_fragment(page, motion)
                         for motion in ("no-preference", "reduce")}
    walk[0]["loaded"] = {**loaded, "external": list(page.external),
                         "problems": list(page.problems)}
    page.context.close()
    return notebook, walk


@pytest.fixture(scope="module")
def desktop_chromium(playwright):
    """Debian's desktop chromium, beside the headless shell the tests drive."""
    if CHROMIUM == DESKTOP_CHROMIUM:
        pytest.skip("the tests drive the desktop chromium itself: nothing to compare")
    chromium = launch(playwright, DESKTOP_CHROMIUM)
    yield chromium
    chromium.close()


def test_desktop_chromium_reads_two_slides_as_the_tests_chromium_does(static_walk,
                                                                      desktop_chromium):
    # the title slide (the page, its controls) and the first with an equation
    notebook, walk = static_walk
    page = open_deck(desktop_chromium, notebook)
    load_axe(page)
    numbers = [0, walk[0]["loaded"]["equation_on"] - 1]
    seen = {}
    for number in numbers:
        show_slide(page, number)
        seen[number] = read_slide(page, number)
    page.context.close()
    differ = {f"slide {number + 1}, {key}": {"desktop": value, "tests": walk[number][key]}
              for number in numbers for key, value in seen[number].items()
              if value != walk[number][key]}
    assert not differ, f"the two chromium builds read the deck differently: {differ}"


# CSS transitions and animations running in the slideshow now (reveal.js's, JupyterLab's).
MOVING = ("() => document.getAnimations().filter(a => document.querySelector('.reveal')"
          ".contains(a.effect.target)).length")


def fading_after_a_fragment(page, motion):
    """How many transitions run in a static deck just after PageDown shows a fragment, for
    a reader whose system asks for `motion` ("reduce" or "no-preference")."""
    page.emulate_media(reduced_motion=motion)
    page.evaluate("""() => {
        const i = Reveal.getIndices(Reveal.getSlides().find(s => s.querySelector('.fragment')));
        Reveal.slide(i.h, i.v, -1); }""")  # the first slide with a fragment, none shown
    page.keyboard.press("PageDown")
    page.wait_for_function("document.querySelector('.reveal .fragment.visible') !== null",
                           polling=POLL_MS)
    return page.evaluate(MOVING)


def test_reduced_motion_shows_a_fragment_without_fading(static_walk):
    _, walk = static_walk
    fading = walk[0]["fading"]
    assert fading["no-preference"] > 0  # reveal.js fades the fragment in
    assert fading["reduce"] == 0        # rise.css: nothing moves


def audit(browser, body, draw=""):
    """serious() on a page of its own: body on white, under a transparent canvas layer
    the size of the page, as RISE's chalkboard lays one over every slide (after `draw`,
    a script run on the page, has drawn on it, if given)."""
    page = open_offline(browser, "about:blank")
    page.set_content('<!doctype html><html lang="en"><head><title>audit</title></head>'
                     f'<body><main>{body}</main>'
                     '<div style="position: absolute; inset: 0; z-index: 1">'
                     '<canvas width="1280" height="720"></canvas></div></body></html>')
    load_axe(page)
    page.evaluate(draw or "0")
    try:
        return serious(page)
    finally:
        page.context.close()


def test_offline_page_sends_a_request_beyond_this_machine_nowhere_and_lists_it(browser):
    page = open_offline(browser, "about:blank")
    failures = []
    page.on("requestfailed", lambda request: failures.append(request.failure))
    away = ["http://192.0.2.1/x.png", "http://localhost:8000/y.png"]  # 192.0.2.1: RFC 5737
    page.set_content("".join(f'<img alt="" src="{url}">' for url in away))
    page.context.close()
    assert sorted(page.external) == sorted(away)
    assert failures == ["net::ERR_PROXY_CONNECTION_FAILED"] * 2  # stopped before the network


def test_axe_audit_sees_low_contrast_text_under_an_empty_canvas(browser):
    found = audit(browser, '<p style="color: #b0b0b0">grey on white, 2.2:1</p>')
    assert [v.split(":")[0] for v in found] == ["color-contrast"]


def test_axe_audit_leaves_a_canvas_drawn_on_in_the_page(browser):
    # one opaque pixel, the last one: the emptiness test must read every pixel to the end
    found = audit(browser, '<p style="color: #b0b0b0">grey on white, 2.2:1</p>',
                  draw="document.querySelector('canvas').getContext('2d')"
                       ".fillRect(1279, 719, 1, 1)")
    assert [v.split(" (")[0] for v in found] == ["color-contrast undetermined"]


def test_axe_audit_reports_text_the_colour_of_its_background(browser):
    found = audit(browser, '<p style="color: #fff">white on white</p>')
    assert [v.split(":")[0] for v in found] == ["color-contrast undetermined (equalRatio)"]


def test_axe_audit_of_one_slide_sees_it_alone_in_its_stack_and_puts_the_others_back(browser):
    page = open_offline(browser, "about:blank")
    page.set_content('<!doctype html><html lang="en"><head><title>deck</title></head><body>'
                     '<div class="reveal"><div class="slides"><section><p>first</p></section>'
                     '<section class="stack present"><section><p>up</p> <p>two</p></section>'
                     '<section class="present"><p style="color: #b0b0b0">grey on white, '
                     '2.2:1</p></section><section><p style="color: #c0c0c0">down, 1.8:1, '
                     'not shown</p></section></section>'
                     '<section><h2>last</h2>text</section></div></div></body></html>')
    load_axe(page)
    deck = "document.querySelector('.reveal .slides').innerHTML"
    before = page.evaluate(deck)
    found = serious(page, PRESENT, others_out=True)
    after = page.evaluate(deck)
    page.context.close()
    assert [v.split(":")[0] for v in found] == ["color-contrast"]
    assert after == before


def test_every_static_slide_passes_axe_wcag_21_aa(static_walk):
    _, walk = static_walk
    found = [(n, v) for n, slide in enumerate(walk, 1) for v in slide["axe"]]
    assert not found, axe_report(found)


def test_every_static_slide_has_a_heading_a_screen_reader_lists(static_walk):
    _, walk = static_walk
    assert [n for n, slide in enumerate(walk, 1) if not slide["slide"]["heading"]] == []


def test_every_figure_on_a_slide_has_a_text_alternative_with_its_numbers(static_walk):
    notebook, walk = static_walk
    alts = [alt for slide in walk for alt in slide["slide"]["alts"]]
    assert len(alts) == count_figures(notebook)
    assert [alt for alt in alts if len(alt) < 60 or not re.search(r"\d", alt)] == []


def test_tab_stays_on_the_current_slide_and_every_stop_has_a_name(static_walk):
    _, walk = static_walk
    off = [f"slide {n}: {t['tag']}.{t['cls']}" for n, slide in enumerate(walk, 1)
           for t in slide["tab"] if t["off_slide"]]
    unnamed = [f"slide {n}: {t['tag']}.{t['cls']}" for n, slide in enumerate(walk, 1)
               for t in slide["tab"] if not t["name"]]
    assert off == [] and unnamed == []
    assert all(any(t["cls"] == "navigate-right" for t in slide["tab"]) for slide in walk[:-1])


def test_every_static_slide_is_reached_by_the_keyboard(static_walk):
    notebook, walk = static_walk
    reached = walk[0]["reached"]
    assert reached == len(walk) == slide_count(notebook)


def test_every_static_slide_is_readable_and_fits(static_walk):
    notebook, walk = static_walk
    failures = [f"slide {n}: {problem}" for n, slide in enumerate(walk, 1)
                for problem in unreadable(slide["metrics"])]
    assert failures == []
    assert sum(len(s["metrics"]["figures"]) for s in walk) == count_figures(notebook)


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=ids)
def notebook_page(request, browser):
    """A notebook's page (slides/NAME.notebook.html) at 1280x720, then at 200 % zoom (a
    640x360 viewport at twice the pixel density): axe-core's findings and its figures."""
    page = open_offline(browser, page_of(request.param).as_uri())
    wait_typeset(page)
    load_axe(page)
    found = {"axe": serious(page), "alts": page.evaluate(
        "Array.from(document.querySelectorAll('.jp-OutputArea-output img'))"
        ".map(i => i.getAttribute('alt') || '')"), "problems": page.problems}
    # 200 % zoom on the same page, typeset: no second load
    page.context.new_cdp_session(page).send("Emulation.setDeviceMetricsOverride", {
        "width": 640, "height": 360, "deviceScaleFactor": 2, "mobile": False})
    found["zoomed"] = page.evaluate("""() => ({
        wide: document.documentElement.scrollWidth - window.innerWidth,
        text: parseFloat(getComputedStyle(document.querySelector('.jp-RenderedMarkdown p'))
                         .fontSize) * window.devicePixelRatio})""")
    page.context.close()
    return request.param, found


def test_notebook_page_passes_axe_wcag_21_aa(notebook_page):
    _, found = notebook_page
    assert not found["axe"], axe_report([("page", v) for v in found["axe"]])
    assert found["problems"] == []


def test_notebook_page_gives_every_figure_a_text_alternative(notebook_page):
    notebook, found = notebook_page
    nb = nbformat.read(notebook, as_version=4)
    figures = sum(is_figure(out) for c in nb.cells if c.cell_type == "code" for out in c.outputs)
    assert len(found["alts"]) == figures
    assert [alt for alt in found["alts"] if len(alt) < 60 or not re.search(r"\d", alt)] == []


def test_notebook_page_reflows_and_its_text_doubles_at_200_percent_zoom(notebook_page):
    _, found = notebook_page
    assert found["zoomed"]["wide"] <= 1  # no sideways scrolling for the text
    assert found["zoomed"]["text"] >= 2 * 13  # CSS px at twice the pixels


def test_deck_links_its_notebook_page(notebook_page):
    notebook, _ = notebook_page
    html = deck_of(notebook).read_text(encoding="utf-8")
    assert f'class="course-page-link" href="{page_of(notebook).name}"' in html


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_static_deck_prints_one_pdf_page_per_slide_and_fragment(browser, notebook):
    # a slide taller than 720 px would spill onto extra pages
    page = open_offline(browser, deck_of(notebook).as_uri() + "?print-pdf")
    page.wait_for_function("document.querySelectorAll('.reveal .pdf-page').length > 0",
                           polling=POLL_MS, timeout=30_000)  # reveal.js has laid out the print view
    page.evaluate("MathJax.startup.promise")
    pdf = page.pdf(width="1280px", height="720px", print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == slide_count(notebook) + count_cells(notebook, "fragment")
    assert page.problems == []
    page.context.close()
