"""Build one static reveal.js deck per notebook, notebooks/NAME.ipynb -> slides/NAME.html, and
its accessible alternate, the notebook as one web page -> slides/NAME.notebook.html.

The decks come from the notebooks' stored outputs (nothing is re-run) and present
offline: reveal.js and MathJax are inlined from local copies in slides/vendor/,
fetched once from the npm registry. Without those copies the decks load them from
a CDN instead, and the build says how to get them.

    python slides/build.py           fetch the copies if missing, then build
    python slides/build.py --fetch   only fetch the copies
"""

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter, SlidesExporter

ROOT = Path(__file__).resolve().parents[1]
SLIDES = ROOT / "slides"
VENDOR = SLIDES / "vendor"  # git-ignored
PACKAGES = {"reveal.js": "5.2.1", "mathjax": "3.2.2",
            "axe-core": "4.14.1"}  # axe-core: the accessibility tests' auditor, not in the decks
REVEAL = VENDOR / "node_modules" / "reveal.js"
MATHJAX = VENDOR / "node_modules" / "mathjax" / "es5" / "tex-svg.js"
AXE = VENDOR / "node_modules" / "axe-core" / "axe.min.js"
CDN = {
    "reveal": f"https://cdn.jsdelivr.net/npm/reveal.js@{PACKAGES['reveal.js']}",
    "mathjax": f"https://cdn.jsdelivr.net/npm/mathjax@{PACKAGES['mathjax']}/es5/tex-svg.js",
}
FETCH = ["npm", "install", "--no-save", "--no-package-lock", "--prefix", str(VENDOR)] + [
    f"{name}@{version}" for name, version in PACKAGES.items()]


def have_copies():
    """True when reveal.js, MathJax and axe-core are in slides/vendor/."""
    return (REVEAL / "dist" / "reveal.js").exists() and MATHJAX.exists() and AXE.exists()


def fetch_copies():
    """Fetch reveal.js and MathJax from the npm registry into slides/vendor/."""
    if have_copies():
        return True
    if shutil.which("npm") is None:
        print("slides: npm not found; install Node.js to fetch reveal.js and MathJax.")
        return False
    print("slides: fetching", " ".join(FETCH[-len(PACKAGES):]), "into", VENDOR.relative_to(ROOT))
    VENDOR.mkdir(exist_ok=True)
    done = subprocess.run(FETCH, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        print("slides: npm failed:", done.stderr.strip().splitlines()[-1:])
    return have_copies()


def inline_js(path):
    """A script's text, safe to put inside <script>...</script>."""
    return path.read_text(encoding="utf-8").replace("</script", "<\\/script")


def inline_theme(name):
    """A reveal.js theme, without its @import of web fonts (offline: system fonts)."""
    css = (REVEAL / "dist" / "theme" / f"{name}.css").read_text(encoding="utf-8")
    return "\n".join(line for line in css.splitlines() if not line.startswith("@import url(http"))


def deck_resources(nb_path, nb):
    """What the template needs: the RISE settings, the stylesheet, and inlined assets."""
    rise = nb.metadata.get("rise", {})
    deck = {
        "notebook": nb_path.name,
        "source_sha256": hashlib.sha256(nb_path.read_bytes()).hexdigest(),
        "theme": rise.get("theme", "simple"),
        "transition": rise.get("transition", "none"),
        "width": rise.get("width", 1280),
        "height": rise.get("height", 720),
        "slide_number": "c/t" if rise.get("slideNumber", True) else False,
        "rise_css": (nb_path.parent / "rise.css").read_text(encoding="utf-8"),
        "cdn": CDN,
        "page": page_of(nb_path).name,
    }
    if have_copies():
        deck |= {
            "reveal_css": (REVEAL / "dist" / "reveal.css").read_text(encoding="utf-8"),
            "theme_css": inline_theme(deck["theme"]),
            "reveal_js": inline_js(REVEAL / "dist" / "reveal.js"),
            "notes_js": inline_js(REVEAL / "plugin" / "notes" / "notes.js"),
            "mathjax_js": inline_js(MATHJAX),
        }
    return deck


def page_of(nb_path):
    return SLIDES / f"{nb_path.stem}.notebook.html"


def build(nb_path):
    """Write slides/<name>.html, the deck, and slides/<name>.notebook.html, the page, from
    the notebook's stored outputs; return the deck's path."""
    nb = nbformat.read(nb_path, as_version=4)
    resources = {"metadata": {"name": nb_path.stem}, "deck": deck_resources(nb_path, nb)}
    deck = SlidesExporter(extra_template_basedirs=[str(SLIDES)], template_name="template",
                          exclude_input_prompt=True, exclude_output_prompt=True)
    page = HTMLExporter(extra_template_basedirs=[str(SLIDES)], template_name="page")
    for exporter, out in [(deck, SLIDES / f"{nb_path.stem}.html"), (page, page_of(nb_path))]:
        html, _ = exporter.from_notebook_node(nb, resources=dict(resources))
        out.write_text(html, encoding="utf-8")
    return SLIDES / f"{nb_path.stem}.html"


def main(argv):
    copies = fetch_copies()
    if "--fetch" in argv:
        return 0 if copies else 1
    if not copies:
        print("slides: no local reveal.js/MathJax, so these decks need the internet (CDN).\n"
              f"        To present offline, run with network once: {' '.join(FETCH)}")
    for nb_path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        out = build(nb_path)
        print(f"slides: {out.relative_to(ROOT)} ({out.stat().st_size / 1e6:.1f} MB, "
              f"{'self-contained' if copies else 'CDN'})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
