"""checks.clock: this machine's clock against the Date headers of the servers it talks to."""

import pytest

from edupush_token.doctor.checks.clock import ERROR_SECONDS, WARN_SECONDS, check_clock
from edupush_token.doctor.findings import Severity
from edupush_token.doctor.web import Answer

from .factory import endpoint_answer, only

A, B, C = "https://a.example/", "https://b.example/", "https://c.example/"


@pytest.mark.parametrize("offsets", [[0], [WARN_SECONDS], [-WARN_SECONDS], [0, 0, 100]])
def test_clock_within_the_margin_has_no_finding(offsets):
    """The median decides: one wrong server of three does not."""
    assert check_clock([endpoint_answer(url, offset) for url, offset in zip((A, B, C), offsets)]) == []


@pytest.mark.parametrize(
    "answers, tried",
    [
        ([], "none"),
        ([Answer(A, error="Connection refused")], A),
        ([Answer(A, 200, server_time=None)], A),
    ],
)
def test_no_date_header_to_compare_with(answers, tried):
    finding = only(check_clock(answers), "clock-unchecked", Severity.WARNING)
    assert f"(tried: {tried})" in finding.problem


@pytest.mark.parametrize("offset, direction", [(WARN_SECONDS + 5, "ahead of"), (-(WARN_SECONDS + 5), "behind")])
def test_clock_drift(offset, direction):
    finding = only(check_clock([endpoint_answer(A, offset)]), "clock-drift", Severity.WARNING)
    assert f"clock is {abs(offset)} s {direction} {A}" in finding.problem


def test_clock_skew_beyond_the_phones_window():
    behind = -(ERROR_SECONDS + 10)
    answers = [endpoint_answer(A, 0), endpoint_answer(B, behind), endpoint_answer(C, behind)]
    finding = only(check_clock(answers), "clock-skew", Severity.ERROR)
    assert f"clock is {ERROR_SECONDS + 10} s behind" in finding.problem
    assert "get their polls refused" in finding.problem
