"""Set the address of your copy of the course, in the one place it lives: `COURSE_REPO`.

Both notebooks' setup cells clone this address when a notebook is opened alone
(Colab, Kaggle) and utils.py is not next to it. The README's "Open in" links are
derived from it. `make publish REPO=https://github.com/you/mlp-course [BRANCH=main]`
runs this, then rebuilds the decks.

    python tools/publish.py https://github.com/you/mlp-course main
    python tools/publish.py "" main       unset it (the README shows placeholders)
"""
import json
import re
import sys
from urllib.parse import quote

from spread import ROOT  # tools/spread.py: the course's top folder

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
README = ROOT / "README.md"
BEGIN, END = "<!-- links: made by `make publish`, do not edit -->", "<!-- /links -->"
# The line in each notebook's setup cell, as it appears inside the .ipynb JSON.
SETTING = re.compile(r'COURSE_REPO = \\"([^"\\]*)\\"')
GITHUB = re.compile(r"^https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")
ADDRESS = re.compile(r"^(https://|http://|git@|ssh://|file://)\S+$")


def read_setting(notebook):
    """The COURSE_REPO value in a notebook's setup cell."""
    found = SETTING.findall(notebook.read_text(encoding="utf-8"))
    if len(found) != 1:
        raise SystemExit(f"error: {notebook.name}: expected one COURSE_REPO line, found "
                         f"{len(found)}")
    return found[0]


def write_setting(notebook, repo):
    text = notebook.read_text(encoding="utf-8")
    value = json.dumps(repo)[1:-1].replace('"', '\\"')  # escaped once for Python, once for JSON
    notebook.write_text(SETTING.sub(lambda _: f'COURSE_REPO = \\"{value}\\"', text),
                        encoding="utf-8")


def links(repo, branch):
    """The README's block of links for this address (placeholders when it is unset)."""
    match = GITHUB.match(repo)
    owner, name = match.groups() if match else ("OWNER", "NAME")
    url = f"https://github.com/{owner}/{name}"
    lines = [BEGIN, ""]
    if not repo:
        lines += ["No address is set yet: the links below have placeholders. "
                  "Run `make publish REPO=https://github.com/OWNER/NAME` to fill them in.", ""]
    elif not match:
        lines += [f"The course's address is `{repo}`. Colab, Kaggle and Binder open notebooks "
                  "from GitHub only, so there are no links to them.", "", END]
        return "\n".join(lines)
    else:
        lines += [f"The course's address is `{repo}` (branch `{branch}`).", ""]
    lines += ["| notebook | Colab | Kaggle | Binder |", "|---|---|---|---|"]
    for notebook in NOTEBOOKS:
        path = f"notebooks/{notebook.name}"
        lines.append(
            f"| `{notebook.stem}` "
            f"| [Open in Colab](https://colab.research.google.com/github/{owner}/{name}/blob/"
            f"{branch}/{path}) "
            f"| [Open in Kaggle](https://kaggle.com/kernels/welcome?src="
            f"{url}/blob/{branch}/{path}) "
            f"| [Launch Binder](https://mybinder.org/v2/gh/{owner}/{name}/{branch}?urlpath="
            f"lab/tree/{path}) |")
    pull = (f"https://YOUR-HUB/hub/user-redirect/git-pull?repo={quote(url, safe='')}"
            f"&branch={branch}&urlpath={quote(f'lab/tree/{name}/notebooks/', safe='')}")
    lines += ["", f"JupyterHub (nbgitpuller), with `YOUR-HUB` replaced: <{pull}>", "", END]
    return "\n".join(lines)


def write_links(repo, branch):
    text = README.read_text(encoding="utf-8")
    start, stop = text.index(BEGIN), text.index(END) + len(END)
    README.write_text(text[:start] + links(repo, branch) + text[stop:], encoding="utf-8")


def main(repo, branch="main"):
    if repo and not ADDRESS.match(repo):
        raise SystemExit(f"error: {repo!r} is not a git address; give one like "
                         "https://github.com/you/mlp-course")
    for notebook in NOTEBOOKS:
        write_setting(notebook, repo)
    write_links(repo, branch)
    print(f"COURSE_REPO = {repo!r} in {', '.join(n.name for n in NOTEBOOKS)}; "
          f"README links for branch {branch!r} rewritten")


if __name__ == "__main__":
    main(*sys.argv[1:3])
