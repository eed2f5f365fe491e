"""The figures: a text alternative written from the plotted numbers, and colour never the only
cue (notebooks/course/figures.py, and the plots in utils, checks and the exercises that use it)."""
import collections
import itertools
import re

import matplotlib
import pytest
import utils
from course import checks
from course import figures as _figures

Point = collections.namedtuple("Point", ["x", "y"])


class Board:
    """What d2l's ProgressBoard holds after 3 epochs."""

    def __init__(self, shift=0.0):
        self.data = {
            "train_loss": [Point(0.5, 1.2 + shift), Point(1.5, 0.7 + shift),
                           Point(2.5, 0.5 + shift)],
            "val_loss": [Point(1, 0.8 + shift), Point(2, 0.6 + shift), Point(3, 0.55 + shift)],
            "val_acc": [Point(1, 0.71 - shift), Point(2, 0.78 - shift), Point(3, 0.8123 - shift)],
        }
        self.xlim, self.fig = [0, 3], None


class Model:
    def __init__(self, shift=0.0):
        self.board = Board(shift)


def shown(monkeypatch):
    """Catch what _figures.show displays: [(figure, alt)]."""
    caught = []
    monkeypatch.setattr(_figures, "show", lambda fig, alt: caught.append((fig, alt)))
    return caught


def lines_of(fig):
    return [line for ax in fig.axes for line in ax.get_lines() if len(line.get_xdata()) > 1]


def test_alt_text_of_the_curves_holds_the_plotted_numbers_and_who_leads(monkeypatch):
    caught = shown(monkeypatch)
    utils.plot_curves({"MLP": Model(), "softmax": Model(shift=0.05)})
    (fig, alt), = caught
    for number in ["1.2", "0.5", "0.812", "0.762", "1.25"]:
        assert number in alt, (number, alt)
    assert "MLP's validation accuracy is above softmax's from epoch 1 to the end" in alt


def test_no_two_curves_differ_by_colour_alone(monkeypatch):
    caught = shown(monkeypatch)
    utils.plot_curves({"MLP": Model(), "softmax": Model(shift=0.05)})
    (fig, _), = caught
    for ax in fig.axes:
        for a, b in itertools.combinations(ax.get_lines(), 2):
            assert (a.get_linestyle(), a.get_marker()) != (b.get_linestyle(), b.get_marker()), (
                a.get_label(), b.get_label())


def test_every_colour_has_3_to_1_contrast_on_white_and_its_text_4_5_to_1():
    for color in [*_figures.COLORS, _figures.AXIS_GREY]:
        assert contrast(color, "#ffffff") >= 3.0, color
    for color in _figures.TEXT.values():
        assert contrast(color, "#ffffff") >= 4.5, color


def test_few_curves_are_labelled_at_their_ends_in_text_of_4_5_to_1(monkeypatch):
    caught = shown(monkeypatch)
    utils.plot_curves({"MLP": Model(), "softmax": Model(shift=0.05)})
    (fig, _), = caught
    _figures.label_ends(fig)
    accuracy = fig.axes[1]  # two curves: labelled; the loss panel has four: legend only
    assert sorted(t.get_text() for t in accuracy.texts) == ["MLP", "softmax"]
    assert all(contrast(t.get_color(), "#ffffff") >= 4.5 for t in accuracy.texts)
    assert len(fig.axes[0].texts) == 0


def contrast(a, b):
    def luminance(color):
        rgb = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
               for c in matplotlib.colors.to_rgb(color)]
        return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_board_is_shown_with_its_numbers_as_text(monkeypatch):
    shown_now = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown_now.append(obj))
    monkeypatch.setattr("IPython.display.clear_output", lambda wait=False: None)
    _figures.draw_board(Board())
    figure, = shown_now
    bundle = figure._repr_mimebundle_()
    alt = re.search(r'alt="([^"]*)"', bundle["text/html"]).group(1)
    assert alt == figure.alt and bundle["text/plain"] == f"Figure: {alt}"
    for number in ["1.2", "0.5", "0.55", "0.812", "epoch 0.5", "epoch 3"]:
        assert number in alt, (number, alt)
    assert bundle["text/html"].startswith('<img class="course-figure" src="data:image/svg+xml')


def test_strip_plot_alt_text_gives_the_seeds_and_this_run(monkeypatch):
    caught = shown(monkeypatch)
    stored = {"a": {str(s): 0.80 + 0.01 * s for s in range(4)},
              "b": {str(s): 0.80 for s in range(4)}}
    monkeypatch.setattr(checks.seeds, "load_spread", lambda: stored)
    checks.compare(checks.Result("a", 0.815), checks.Result("b", 0.80))
    (fig, alt), = caught
    assert "this run (seed" in alt.lower() and "+1.50" in alt
    assert "4 stored seeds: from +0.00 to +3.00, above 0 on 3" in alt
    assert "mean +1.50" in alt


def test_image_grid_alt_text_names_each_class(monkeypatch):
    caught = shown(monkeypatch)
    data = utils.FashionMNIST.__new__(utils.FashionMNIST)  # no files needed for the labels
    X = utils.tf.zeros((3, 28, 28, 1))
    data.visualize((X, utils.tf.constant([0, 1, 9])), ncols=3)
    (fig, alt), = caught
    assert "t-shirt, trouser, ankle boot" in alt


@pytest.mark.parametrize("a, b, expected", [
    ([1, 2, 3], [0, 0, 0], 0), ([0, 2, 3], [1, 1, 1], 1), ([1, 0, 3, 4], [0, 1, 2, 3], 2),
    ([1, 2, 0], [0, 0, 1], None)])
def test_ahead_from_is_the_first_epoch_of_the_final_lead(a, b, expected):
    assert _figures.ahead_from(a, b) == expected
