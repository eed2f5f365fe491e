"""RISE in a real JupyterLab, started by `make lab`: the slideshow walked with the keyboard,
measured and audited slide by slide as the static decks are (test_slides.py), and an
exercise's solution folded until opened. A module of its own, so that pytest-xdist runs
it beside the static decks."""
import hashlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

import nbformat
import pytest
from conftest import ROOT
from test_slides import (
    METRICS,
    MOVING,
    NOTEBOOKS,
    POLL_MS,
    PRESENT,
    SHOTS,
    SHOWN,
    axe_report,
    count_cells,
    count_figures,
    ids,
    load_axe,
    open_offline,
    serious,
    slide_count,
    unreadable,
)


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


def test_jupyter_lab_asks_no_news_consent_and_checks_no_updates(jupyter_lab):
    """`make lab`'s JupyterLab (defaults from .ci/course_env.py): no pop-up over the first
    notebook asking to fetch Jupyter's news, and no request to pypi.org for a newer version."""
    base, token = jupyter_lab
    plugin = "@jupyterlab/apputils-extension:notification"
    with urllib.request.urlopen(f"{base}/lab/api/settings/{plugin}?token={token}") as answer:
        schema = json.load(answer)["schema"]["properties"]  # what the front end starts from
    assert schema["fetchNews"]["default"] == "false"  # "none" asks each new user
    assert schema["checkForUpdates"]["default"] is False


# Nothing ahead: reveal.js enables its right and down controls while a slide or a fragment
# follows (its fragments count too), so none enabled means the end of the slideshow.
AT_END = ("document.querySelector('.reveal .controls') !== null && document.querySelector("
          "'.reveal .controls .navigate-right.enabled, .reveal .controls .navigate-down.enabled')"
          " === null")


@pytest.fixture(scope="module")
def lab(browser, jupyter_lab):
    """JupyterLab's page, loaded once: the folded-solution test and both RISE walks open
    their notebooks in it."""
    base, token = jupyter_lab
    page = open_offline(browser, f"{base}/lab?reset&token={token}")
    page.set_viewport_size({"width": 1280, "height": 900})  # a solution and 2 cells above it
    page.wait_for_function("window.jupyterapp !== undefined", polling=POLL_MS, timeout=60_000)
    page.evaluate("async () => { await window.jupyterapp.started; "
                  "await window.jupyterapp.restored; }")
    yield page
    page.context.close()


def open_notebook(lab, notebook):
    """The notebook open and in front in JupyterLab (as a double click in the file browser
    opens it, or finds it open), its first cell active and its cells shown; other notebooks
    are closed after it opens (so the main area never empties and gets a Launcher)."""
    panel = lab.evaluate("""async (path) => {
        const app = window.jupyterapp;
        const widget = await app.commands.execute('docmanager:open', {path});
        await widget.context.ready;
        for (const other of Array.from(app.shell.widgets('main')))
          if (other !== widget && other.context) other.close();
        app.shell.activateById(widget.id);
        await widget.revealed;
        widget.content.activeCellIndex = 0;  // RISE's command starts at the active cell
        return widget.id; }""", notebook.name)
    lab.wait_for_selector(f'[id="{panel}"] .jp-Notebook .jp-Cell', timeout=60_000)


def test_exercise_solution_is_folded_in_jupyterlab_until_opened(lab):
    """In JupyterLab's page the RISE walks use, before them: the notebook opened as a
    student opens it from the file browser (the walk of 01 then finds it open)."""
    playwright = pytest.importorskip("playwright.sync_api")
    page, notebook = lab, NOTEBOOKS[0]
    nb = nbformat.read(notebook, as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if "solution" in c.metadata.get("tags", []))
    open_notebook(page, notebook)
    # The notebook found by its path at every poll (reopened if it was replaced).
    # JupyterLab attaches a long notebook's cells a few at a time, in idle time; under load
    # that once stopped short of the solution's cell (36 of 66 drawn in 30 s) while the test
    # kept jumping to it. So, as a reader does, scroll down to the last cell drawn until the
    # solution's own is, and only then go to it; its <details> is then marked for the locator.
    drawn = """([path, i]) => { const app = window.jupyterapp;
        const panel = Array.from(app.shell.widgets('main'))
          .find(w => w.context && w.context.path === path && !w.isDisposed);
        if (!panel) { app.commands.execute('docmanager:open', {path}); return false; }
        app.shell.activateById(panel.id);
        const nb = panel.content;
        if (!panel.context.isReady || nb.widgets.length <= i) return false;
        if (!nb.widgets[i].node.isConnected) {
          const drawn = nb.widgets.filter(cell => cell.node.isConnected);
          drawn.at(-1)?.node.scrollIntoView({block: 'end'});
          return false;
        }
        nb.activeCellIndex = i; nb.scrollToItem(i, 'start');
        const details = nb.widgets[i].node.querySelector('details');
        if (details) details.dataset.solutionUnderTest = '';
        return details !== null; }"""
    try:
        page.wait_for_function(drawn, arg=[notebook.name, index], polling=500, timeout=60_000)
    except playwright.TimeoutError:
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SHOTS / "exercise-solution-not-drawn.png")
        state = page.evaluate("""(i) => Array.from(window.jupyterapp.shell.widgets('main'))
            .map(w => ({path: w.context?.path, ready: w.context?.isReady,
                        cells: w.content?.widgets?.length,
                        drawn: w.content?.node.querySelectorAll('.jp-Cell').length,
                        attached: w.content?.widgets?.[i]?.node.isConnected,
                        text: w.content?.widgets?.[i]?.node.innerText.slice(0, 80)}))""", index)
        pytest.fail(f"the solution's cell {index} was not drawn within 60 s; "
                    f"JupyterLab's main area: {state} (screenshot in {SHOTS})")
    details = page.locator("details[data-solution-under-test]")
    details.wait_for(timeout=10_000)
    page.evaluate("""(el) => { let cell = el.closest('.jp-Cell');  // two cells above, if drawn
        for (let k = 0; k < 2 && cell.previousElementSibling; k++)
          cell = cell.previousElementSibling;
        cell.scrollIntoView(); }""", details.element_handle())
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


# Where the walk is: the slide shown (marked when first seen) and how many fragments show.
STATE = (f"() => {SHOWN}"
         ".dataset.measured + ':' + document.querySelectorAll('.reveal .fragment.visible').length")
# One step of the walk, in one round trip: is the slide shown new (then what is moving on it,
# METRICS, and has it an equation), is this the end (AT_END), and STATE. On a slide seen
# already it lets the focus go, so PageDown goes to reveal.js; a new slide's is let go after
# its audit (BLUR), which sees the page as RISE left it.
BLUR = "document.activeElement && document.activeElement.blur()"
LOOK = f"""() => {{
  const slide = {SHOWN};
  const look = {{new: slide.dataset.measured === undefined}};
  if (look.new) {{
    slide.dataset.measured = String(Math.random());
    look.moving = ({MOVING})();
    look.metrics = ({METRICS})();
    look.equation = slide.querySelector('mjx-container') !== null;
  }}
  look.at_end = {AT_END};
  look.state = ({STATE})();
  if (!look.new) {BLUR};
  return look;
}}"""


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=ids)
def rise_walk(request, lab):
    """The RISE slideshow of a notebook in JupyterLab, walked with the keyboard (slides and
    fragments): each slide measured once (METRICS), audited by axe-core, its Tab stops."""
    playwright = pytest.importorskip("playwright.sync_api")
    notebook = request.param
    open_notebook(lab, notebook)
    with lab.context.expect_page(timeout=30_000) as opened:
        lab.evaluate("window.jupyterapp.commands.execute('RISE:slideshow')")
    rise = opened.value
    rise.wait_for_selector(".reveal .slides section.present", timeout=60_000)
    title = nbformat.read(notebook, as_version=4).metadata["title"]
    rise.wait_for_function(f"document.querySelector('.reveal .slides section.present')"
                           f".innerText.includes({title!r})", polling=POLL_MS,
                           timeout=30_000)
    SHOTS.mkdir(exist_ok=True)
    rise.screenshot(path=SHOTS / f"{notebook.stem}-rise.png")
    load_axe(rise)
    # Walk the whole slideshow (slides and fragments); measure each slide once: a round trip
    # to the page a step (LOOK), two more on a new slide (its audit, BLUR). It made six to nine.
    walk, equations = [], 0
    for _ in range(slide_count(notebook) + count_cells(notebook, "fragment") + 3):
        look = rise.evaluate(LOOK)
        if look["new"]:
            within = ".reveal" if not walk else PRESENT
            walk.append({"moving": look["moving"], "metrics": look["metrics"],
                         "axe": serious(rise, within, others_out=len(walk) > 0)})
            if look["equation"]:
                equations += 1
                if equations == 1:
                    rise.screenshot(path=SHOTS / f"{notebook.stem}-rise-equation.png")
            rise.evaluate(BLUR)
        if look["at_end"]:  # the last slide, its fragments shown: the walk is done
            break
        rise.keyboard.press("PageDown")  # reveal.js: next slide or fragment
        try:  # until RISE has moved on (serious() then waits out its transitions)
            rise.wait_for_function(f"before => ({STATE})() !== before", arg=look["state"],
                                   polling=POLL_MS, timeout=5_000)
        except playwright.TimeoutError:  # PageDown moved nothing, and the loop ends: RISE's
            break                           # controls said there was more (the test fails)
    rise.close()
    return notebook, walk, equations


def test_rise_slideshow_starts_in_jupyterlab(rise_walk):
    notebook, walk, equations = rise_walk
    assert len(walk) == slide_count(notebook)
    failures = [f"RISE slide {n}: {p}" for n, slide in enumerate(walk, 1)
                for p in unreadable(slide["metrics"])]
    assert failures == []
    assert equations > 0
    # the figures shown (trusted notebook)
    assert sum(len(s["metrics"]["figures"]) for s in walk) == count_figures(notebook)


def test_rise_fades_nothing_in_for_a_reader_who_asked_for_reduced_motion(rise_walk):
    _, walk, _ = rise_walk  # JupyterLab fades outputs in, reveal.js fragments: rise.css stops both
    assert [n for n, slide in enumerate(walk, 1) if slide["moving"]] == []


# JupyterLab's own markup in the slideshow, which the course cannot change (README,
# "Accessibility", lists them): the rule, where it is, and why it is JupyterLab's. The audit
# covers the slideshow (.reveal); the page around it is jupyterlab-rise's (it has no lang).
JUPYTERLAB_OWN = {
    ("aria-required-children", "jp-WindowedPanel-viewport"):
        "JupyterLab's windowed notebook list has role=list without listitem children",
    ("aria-input-field-name", "cm-content"):
        "CodeMirror's editor (role=textbox) has no label in JupyterLab",
}


def test_every_rise_slide_passes_axe_wcag_21_aa(rise_walk):
    _, walk, _ = rise_walk
    found = [(n, v) for n, slide in enumerate(walk, 1) for v in slide["axe"]
             if not any(v.startswith(rule + ": ") and where in v
                        for rule, where in JUPYTERLAB_OWN)]
    assert not found, axe_report(found)
