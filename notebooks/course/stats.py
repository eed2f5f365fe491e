"""The statistics of the verdicts: paired intervals, Holm's correction, prediction limits.

One rule decides every direction, on the slides and in the exercises alike: a difference
is called when its p-value (Holm-adjusted within a family of questions) is below ALPHA,
which for one question is the same as its 95 % interval excluding 0.
"""

# Student's t from scipy.special (stdtr, its CDF; stdtrit, its quantiles), as scipy.stats.t
# computes it, without scipy.stats's 0.35 s import: TensorFlow has loaded scipy.special.
import math
from dataclasses import dataclass, field

import numpy as np
from scipy import special

ALPHA = 0.05  # a two-sided 95 % interval


def t_quantile(df, alpha):
    """The t value a two-sided (1 - alpha) interval reaches on df degrees of freedom."""
    return float(special.stdtrit(df, 1 - alpha / 2))


def interval(differences):
    """The mean of paired differences, its 95 % interval (Student's t) and its p-value."""
    d = np.asarray(differences, float)
    n, mean, se = len(d), float(d.mean()), float(d.std(ddof=1) / math.sqrt(len(d)))
    if se == 0:
        return mean, mean, mean, float(mean == 0)
    half = t_quantile(n - 1, ALPHA) * se
    p = float(2 * special.stdtr(n - 1, -abs(mean) / se))
    return mean, mean - half, mean + half, p


def holm(p_values):
    """Holm's step-down adjustment of a family of p-values (same order as given)."""
    order, adjusted, running = np.argsort(p_values), [0.0] * len(p_values), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def direction(mean, p):
    """The one rule: "higher" or "lower" when p < ALPHA, else "no clear difference"."""
    if p >= ALPHA:
        return "no clear difference"
    return "higher" if mean > 0 else "lower"


def prediction_limits(values, alpha):
    """Where a new draw from the normal sample `values` lands but for chance alpha:
    mean +- t * sd * sqrt(1 + 1/n)."""
    values = np.asarray(values, float)
    n = len(values)
    half = t_quantile(n - 1, alpha) * values.std(ddof=1) * math.sqrt(
        1 + 1 / n)
    return float(values.mean() - half), float(values.mean() + half)


@dataclass
class Verdict:
    """What paired differences a - b support: a value that displays itself as a sentence."""
    a: str
    b: str
    differences: list
    unit: str = "points"
    family: dict = field(default_factory=dict)  # {question: its differences}, a among them
    live: float | None = None  # this run's difference
    seed: int | None = None
    claim: tuple | None = None  # (low, high): a range claimed for the mean

    def __post_init__(self):
        self.mean, self.low, self.high, self.p = interval(self.differences)
        if self.family:
            names = list(self.family)
            self.p = holm([interval(self.family[q])[3] for q in names])[names.index(self.a)]
        self.rule = (f"Holm over {len(self.family)} questions" if self.family else
                     "paired t-test")
        self.direction = direction(self.mean, self.p)
        self.higher_on = sum(d > 0 for d in self.differences)
        self.lower_on = sum(d < 0 for d in self.differences)

    @property
    def claim_holds(self):
        return self.claim is not None and self.claim[0] <= self.mean <= self.claim[1]

    def _text(self, bold=lambda s: s):
        d, n, u = self.differences, len(self.differences), self.unit
        head = (bold(f"{self.a} is {self.direction} than {self.b}: {self.mean:+.2f} {u} on "
                     "average") if self.direction != "no clear difference" else
                bold(f"No clear difference between {self.a} and {self.b}") +
                f": {self.mean:+.2f} {u} on average")
        ties = n - self.higher_on - self.lower_on
        text = (f"{head} (95% interval {self.low:+.2f} to {self.high:+.2f}, {n} seeds). "
                f"Higher on {self.higher_on}, lower on {self.lower_on}"
                + (f", tied on {ties}" if ties else "")
                + f"; from {min(d):+.2f} to {max(d):+.2f}.")
        if self.family:
            text += (f" Judged with the other {len(self.family) - 1} open questions (Holm): "
                     + (f"p = {self.p:.3f}." if self.p >= 0.001 else "p < 0.001."))
        if self.live is not None:
            text += f" This run (seed {self.seed}): {self.live:+.2f} {u}."
        if self.claim:
            low, high = self.claim
            inside = sum(low <= x <= high for x in d)
            where = "inside" if self.claim_holds else bold("outside")
            text += (f" The claim, {low}–{high} {u}: {inside} of {n} seeds fall in it, and "
                     f"their mean is {where} it.")
        return text

    def __str__(self):
        return self._text()

    def _repr_markdown_(self):
        return self._text(lambda s: f"**{s}**")


@dataclass
class OneRun:
    """A result with no stored seeds: one run, shown as what it is, not as a finding."""
    a: str
    live: float
    unit: str = "points"
    direction = None

    def __str__(self):
        return (f"{self.a} has no stored seeds: this one run ({self.live:+.2f} {self.unit}) "
                "is not a finding. `make spread` measures every setting on 10 seeds.")

    def _repr_markdown_(self):
        return str(self).replace(self.a, f"*{self.a}*", 1)
