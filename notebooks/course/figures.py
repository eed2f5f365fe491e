"""Figures everyone can read: colour never the only cue, a text alternative from the data.

1. The style: the Okabe-Ito colours (safe under every colour-vision deficiency, each at
   least 3:1 on white), with a line style and a marker per curve as well.
2. ``show(fig, alt)``: the figure as SVG in an <img> whose alt text is ``alt``, plus
   ``alt`` as the plain-text form, so the notebook (live and stored), JupyterLab's RISE,
   the static decks and the HTML pages all carry it.
3. The text alternatives: ``board_alt``, ``curves_alt``, ``strip_alt`` and ``images_alt``
   say what is plotted, on which axes, and what it shows, with the numbers.
4. d2l's training board, drawn once an epoch (``draw_board``), and its curves on any axes.
"""

import base64
import html
import io

import matplotlib.pyplot as plt
import numpy as np

# -- 1. The style -------------------------------------------------------------------------
COLORS = ["#0072B2", "#D55E00", "#009E73", "#000000"]  # blue, vermillion, green, black
TEXT = dict(zip(COLORS, ["#0072B2", "#B04D00", "#007A5A", "#000000"]))  # as text: >= 4.5:1
LINES = ["-", "--", "-.", ":"]
MARKERS = ["o", "s", "^", "D"]
AXIS_GREY = "#595959"  # 7:1 on white: zero lines and the like


def style(i):
    """The i-th curve's colour, line style and marker, as keyword arguments to plot."""
    return {"color": COLORS[i % 4], "linestyle": LINES[i % 4], "marker": MARKERS[i % 4],
            "markersize": 5}


DIRECT_LABELS = 3  # an axes with at most this many curves gets its labels at their ends


def label_ends(fig):
    """Write each curve's label at its last point, as well as in the legend, where an axes
    has few enough curves for the labels to fit."""
    for ax in fig.axes:
        lines = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
        if 1 < len(lines) <= DIRECT_LABELS:
            for line in lines:
                x, y = line.get_data()
                ax.annotate(line.get_label().split()[0], (x[-1], y[-1]), xytext=(5, 0),
                            textcoords="offset points", va="center",
                            color=TEXT.get(line.get_color(), "#000000"),
                            fontsize="medium")


# -- 2. A figure with its text alternative ----------------------------------------------------
class Figure:
    """A figure's SVG and its text alternative, displayed as <img alt> (HTML) and as text."""

    def __init__(self, svg, alt):
        self.svg, self.alt = svg, alt

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = base64.b64encode(self.svg.encode()).decode()
        return {"text/html": f'<img class="course-figure" src="data:image/svg+xml;base64,'
                             f'{data}" alt="{html.escape(self.alt)}">',
                "text/plain": f"Figure: {self.alt}"}


def to_svg(fig):
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    return buffer.getvalue()


def show(fig, alt):
    """Display fig with its text alternative; close it (so it is not shown twice)."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    label_ends(fig)
    display(Figure(to_svg(fig), alt))
    plt.close(fig)


# -- 3. Text alternatives, from the data --------------------------------------------------
def _num(x):
    return f"{x:.3g}"


def curve_alt(label, xs, ys):
    """One curve in words: where it starts and ends, and its range."""
    return (f"{label} from {_num(ys[0])} at epoch {xs[0]:.3g} to {_num(ys[-1])} at epoch "
            f"{xs[-1]:.3g} (lowest {_num(min(ys))}, highest {_num(max(ys))})")


def board_alt(data, epochs):
    """d2l's training board (data: {curve: [Point(x, y)]}) in words."""
    curves = "; ".join(curve_alt(key.replace("_", " "), [p.x for p in line],
                                 [float(p.y) for p in line])
                       for key, line in data.items() if line)
    return (f"Training board: loss and accuracy against epoch, 0 to {epochs}. "
            f"{curves or 'No points yet'}.")


def ahead_from(a, b):
    """The first index from which a stays above b to the end, or None."""
    above = np.asarray(a) > np.asarray(b)
    if not above[-1]:
        return None
    first = len(above) - np.argmin(above[::-1]) if not above.all() else 0
    return int(first)


def curves_alt(curves):
    """Several models' curves (curves: {model: {curve: (xs, ys)}}) in words, with which model
    has the higher validation accuracy, from which epoch on."""
    parts = [f"{model}: " + "; ".join(curve_alt(key.replace("_", " "), xs, ys)
                                      for key, (xs, ys) in lines.items())
             for model, lines in curves.items()]
    text = ("Loss (left panel) and validation accuracy (right panel) against epoch. "
            + ". ".join(parts) + ".")
    names = list(curves)
    if len(names) == 2 and all("val_acc" in curves[n] for n in names):
        (xs, a), (_, b) = curves[names[0]]["val_acc"], curves[names[1]]["val_acc"]
        for first, second, (p, q) in [(names[0], names[1], (a, b)), (names[1], names[0], (b, a))]:
            start = ahead_from(p, q)
            if start is not None:
                text += (f" {first}'s validation accuracy is above {second}'s from epoch "
                         f"{xs[start]:.3g} to the end.")
                break
        else:
            text += " Neither model's validation accuracy stays above the other's."
    return text


def strip_alt(name, unit, live, seed, stored=None):
    """The strip plot of paired differences: this run, and the stored seeds if any.
    stored: (differences, mean, low, high)."""
    text = f"Strip plot of {name} in {unit}, with a line at 0. This run (seed {seed}): " \
           f"{live:+.2f}."
    if stored:
        diffs, mean, low, high = stored
        text += (f" The {len(diffs)} stored seeds: from {min(diffs):+.2f} to {max(diffs):+.2f}, "
                 f"above 0 on {sum(d > 0 for d in diffs)}; their mean {mean:+.2f}, 95% interval "
                 f"{low:+.2f} to {high:+.2f}.")
    return text


def images_alt(labels):
    """A row of images with their class names."""
    return (f"{len(labels)} Fashion-MNIST images, 28 by 28 grey pixels, titled with their "
            f"classes: {', '.join(labels)}.")


# -- 4. d2l's training board, drawn once per epoch ----------------------------------------
BOARD_SIZE = (5.5, 2.75)  # inches: fills a 16:9 slide (d2l's default is 3.5 x 2.5)


def draw_board(board):
    """Draw d2l's ProgressBoard once, with every curve so far, and show it in place (SVG,
    so it stays crisp when a slide scales it up), with its text alternative."""
    from IPython import display

    if board.fig is None:
        board.fig = plt.figure(figsize=BOARD_SIZE)
        plt.close(board.fig)  # shown below, as SVG, not again by the inline backend
    axes = board.fig.gca()
    axes.clear()
    plot_board(board, {key: axes for key in board.data})
    axes.set(xlim=board.xlim, xlabel="epoch")
    axes.legend()
    display.clear_output(wait=True)
    display.display(Figure(to_svg(board.fig),
                           board_alt(board.data, board.xlim[1])))


def plot_board(board, axes, model=None, prefix=""):
    """Plot d2l's board data: each curve on axes[its name]; return {name: (xs, ys)}.

    One model: a colour, line style and marker per curve. Several (model = 0, 1, ...): the
    model's colour and marker, and a line style per curve (training solid, validation dashed).
    """
    plotted = {}
    for i, (key, line) in enumerate(board.data.items()):
        if key in axes:
            look = style(i if model is None else model)
            if model is not None:
                look["linestyle"] = "-" if key.startswith("train") else "--"
            xs, ys = [p.x for p in line], [float(p.y) for p in line]
            axes[key].plot(xs, ys, label=prefix + key, **look)
            plotted[key] = (xs, ys)
    return plotted


def show_strip(name, unit, live, seed, summary=None):
    """Show a - b on every stored seed as dots, their mean and 95 % interval, and this run
    as a diamond (summary: (differences, mean, low, high), or None for this run alone)."""
    fig, ax = plt.subplots(figsize=(7, 1.9), layout="constrained")
    ax.axvline(0, color=AXIS_GREY, lw=1)
    ax.plot([live], [0], "D", color=COLORS[1], ms=9)
    rows = [f"this run (seed {seed})"]
    if summary:
        diffs, mean, low, high = summary
        ax.plot(diffs, 1 + np.linspace(-0.2, 0.2, len(diffs)), "o", color=COLORS[0], alpha=0.7)
        ax.errorbar([mean], [2], xerr=[[mean - low], [high - mean]], fmt="s", color=COLORS[0],
                    capsize=6)
        rows += [f"{len(diffs)} stored seeds", "mean, 95% interval"]
    ax.set(yticks=range(len(rows)), yticklabels=rows, ylim=(-0.6, len(rows) - 0.4),
           xlabel=f"{name} ({unit})")
    ax.invert_yaxis()
    show(fig, strip_alt(name, unit, live, seed, summary))
