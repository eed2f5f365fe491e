"""The exercises' framework, in the style of Kaggle's learntools: checks, hints, solutions.

Each exercise is an object: ``ex.check(...)`` judges what an answer computes and says why
it is right or what is wrong (it never raises and never shows the answer); ``ex.hint()``
gives the next hint, ``ex.solution()`` the solution and why. ``progress(exercises)`` shows
a table of them. One module per notebook holds its exercises: ``nb01``, ``nb02``.
"""

import inspect

import numpy as np


class Feedback:
    """What a check says: passed or not, in a sentence."""

    def __init__(self, passed, message):
        self.passed, self.message = passed, message

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return ("Correct. " if self.passed else "Not yet. ") + self.message

    def _repr_markdown_(self):
        return ("✔ **Correct.** " if self.passed else "✘ **Not yet.** ") + self.message


class Markdown(str):
    """Text shown as Markdown in a notebook, and as itself elsewhere."""

    def _repr_markdown_(self):
        return str(self)


class NotYet(Exception):
    """Raised inside a check: the answer is wrong, and the message says how."""


class Exercise:
    """One exercise: its check, its hints (easiest last), its solution and why."""

    def __init__(self, number, title, judge, hints, solution, why, staged=False):
        self.number, self.title, self.judge, self.staged = number, title, judge, staged
        self.hints, self.solution_code, self.why = hints, solution, why
        self.passed, self.tries, self.hints_seen, self.solution_seen = None, 0, 0, False

    def check(self, *answer):
        """Judge an answer: ✔ with why it is right, or ✘ with what is wrong. Never raises."""
        self.tries += 1
        unfinished = answer[:-1] if self.staged else answer  # staged: the last one waits
        if any(a is Ellipsis for a in unfinished):
            feedback = Feedback(False, "An answer is still `...`: replace every `...` with "
                                "your code, run that cell, then this one.")
        else:
            try:
                feedback = Feedback(True, self.judge(*answer))
            except NotYet as wrong:
                feedback = Feedback(False, str(wrong))
            except Exception as err:  # a student's code may fail in any way
                feedback = Feedback(False, raised(err))
        self.passed = feedback.passed
        return feedback

    def hint(self):
        """The next hint: the first one names the idea, the last one nearly the answer."""
        self.hints_seen = min(self.hints_seen + 1, len(self.hints))
        return Markdown(f"**Hint {self.hints_seen} of {len(self.hints)}.** "
                        f"{self.hints[self.hints_seen - 1]}")

    def solution(self):
        """The solution, and why it is right."""
        self.solution_seen = True
        return Markdown(f"**Solution.**\n\n```python\n{self.solution_code}\n```\n\n"
                        f"**Why.** {self.why}")


def raised(err):
    """What to say when an answer raised: a `...` left in place, or the error itself."""
    text = f"{type(err).__name__}: {err}".strip()
    if "ellipsis" in text.lower():
        return "Your code met a `...` still in it: replace every `...`, then run it again."
    return f"Running your answer raised {text.splitlines()[0][:300]}"


def number(value, what):
    """value as a float, or NotYet saying it is not a number. A number held in a 0-d NumPy
    array or tensor (`tf.reduce_sum(...)`) is a number too."""
    if isinstance(value, str):
        raise NotYet(f"`{what}` is the text {value!r}, not a number: remove the quotes so "
                     "that Python computes it.")
    if hasattr(value, "__array__") and not isinstance(value, np.number):
        held = np.asarray(value)
        if held.shape == () and held.dtype.kind in "iuf":
            value = held[()]
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise NotYet(f"`{what}` is a {type(value).__name__}; it should be a number.")
    return float(value)


def choice(value):
    """A text answer as the checks compare it: 'Higher.', ' (B) ', "'b'" and 'b)' read as
    'higher' and 'b'. Anything else comes back as it is."""
    if not isinstance(value, str):
        return value
    return value.strip().strip("().'\"").strip().lower()


def calls(function):
    """Every name a function's code uses (its own, and in nested functions and lambdas)."""
    names, codes = set(), [function.__code__]
    while codes:
        code = codes.pop()
        names |= set(code.co_names)
        codes += [c for c in code.co_consts if inspect.iscode(c)]
    return names


def progress(exercises):
    """A table of exercises: checked right, hints seen, solution seen."""
    rows = ["| exercise | | status | tries | hints seen | solution seen |",
            "|---|---|---|---|---|---|"]
    for ex in exercises:
        status = {None: "not tried", True: "✔ correct", False: "✘ not yet"}[ex.passed]
        rows.append(f"| {ex.number} | {ex.title} | {status} | {ex.tries} | "
                    f"{ex.hints_seen} of {len(ex.hints)} | "
                    f"{'yes' if ex.solution_seen else 'no'} |")
    return Markdown("\n".join(rows))
