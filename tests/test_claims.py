"""The slides' claims (tools/claims.py, written by hand) hold on the stored seeds
(notebooks/course/spread.json, written by `make spread`). A re-measure that contradicts a
claim fails here and names the slide to change."""
import re

import claims
import pytest
from conftest import ROOT
from course import registry, seeds, stats
from test_spread import STORED, VALUES


def holds(rule, differences):
    mean, low, high, _ = stats.interval(differences) if len(differences) > 1 else (
        differences[0], differences[0], differences[0], 0)
    if rule == "interval above 0":
        return low > 0
    if match := re.fullmatch(r"mean in (\S+) to (\S+)", rule):
        return float(match[1]) <= mean <= float(match[2])
    if match := re.fullmatch(r"mean within (\S+) to (\S+)", rule):
        return float(match[1]) <= mean <= float(match[2])
    if match := re.fullmatch(r"mean at least (\S+)", rule):
        return mean >= float(match[1])
    raise ValueError(f"unknown rule {rule!r}")


@pytest.mark.parametrize("slide, claim, a, b, rule", claims.CLAIMS,
                         ids=[c[1] for c in claims.CLAIMS])
def test_claim_holds_on_the_stored_seeds(slide, claim, a, b, rule):
    values = (seeds.paired(VALUES, a, b, scale=100) if b else
              [v for run, v in VALUES[a].items() if run.isdigit()])
    assert len(values) >= 10
    assert holds(rule, values), (
        f"the slide '{slide}' claims {claim} ({rule}), but the stored seeds say otherwise: "
        f"{stats.interval(values)[:3]}. Change the slide and tools/claims.py, or find the bug.")


@pytest.mark.parametrize("question", claims.OPEN_QUESTIONS)
def test_open_question_verdict_is_the_one_the_slides_report(question):
    family = {q: seeds.paired(VALUES, q, registry.BASELINE) for q in registry.OPEN_QUESTIONS}
    found = stats.Verdict(question, registry.BASELINE, family[question], family=family).direction
    expected = claims.OPEN_QUESTIONS[question]
    assert found == expected, (
        f"02's open question '{question}': the stored seeds now say '{found}', the slides "
        f"report '{expected}'. Change OPEN_QUESTIONS in tools/claims.py and the speaker notes.")


def test_claims_name_exactly_the_open_questions_of_the_registry():
    assert list(claims.OPEN_QUESTIONS) == registry.OPEN_QUESTIONS


def test_every_outcome_check_has_its_stored_seeds():
    for key in registry.OUTCOME_CHECKS:
        assert len([r for r in VALUES[key] if r.isdigit()]) >= 10, key


def test_slides_hyperparameter_table_is_the_one_the_checks_use():
    import nbformat

    nb = nbformat.read(ROOT / "notebooks" / "01-mlp-scratch.ipynb", as_version=4)
    table = next(c.source for c in nb.cells if c.source.startswith("## Hyperparameters"))
    h = registry.HYPERPARAMETERS
    assert f"| `num_hiddens` | {h['num_hiddens']} |" in table
    assert f"| `lr` | {h['lr']} |" in table
    assert f"| batch size, epochs | {h['batch_size']}, {h['max_epochs']} |" in table


def test_the_false_alarm_rate_of_the_outcome_checks_is_at_most_1_in_1000():
    assert registry.FALSE_ALARM <= 0.001
    assert STORED["seeds"] and len(registry.OUTCOME_CHECKS) >= 4
