"""Errors of the X12 codec: each names the rule it enforces and where in the file it failed.

``rule`` is a short stable code (``segment-count``, ``ctrl-mismatch``…) that callers, tests and 997 answers
can match on; the message is for the operator and may change.
"""

from __future__ import annotations

# Excerpts show the offending segment, but a runaway "segment" (a file with the wrong terminator) can be the
# whole file: keep enough to recognise it.
EXCERPT_LENGTH = 80


def excerpt_of(text: str) -> str:
    """``text`` cut to ``EXCERPT_LENGTH`` characters, with "…" when it was longer."""
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"


class X12Error(Exception):
    """An X12 file or value breaks a rule; ``str()`` reads
    ``segment 14 (SE): SE01 says 12 segments, the set has 11 [segment-count]``."""

    def __init__(
        self,
        rule: str,
        message: str,
        *,
        segment_index: int | None = None,
        segment_tag: str | None = None,
        element: int | None = None,
        excerpt: str | None = None,
    ) -> None:
        self.rule = rule
        self.message = message
        # 1-based position of the segment in the file (the ISA is segment 1).
        self.segment_index = segment_index
        self.segment_tag = segment_tag
        # X12 element position within the segment (SE01 → 1), when one element is at fault.
        self.element = element
        self.excerpt = None if excerpt is None else excerpt_of(excerpt)
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.segment_index is not None:
            where = f"segment {self.segment_index}" + (f" ({self.segment_tag})" if self.segment_tag else "")
            return f"{where}: {self.message} [{self.rule}]"
        if self.segment_tag:
            return f"{self.segment_tag}: {self.message} [{self.rule}]"
        return f"{self.message} [{self.rule}]"

    def __reduce__(self) -> tuple[type[X12Error], tuple[str, str], dict[str, object]]:
        # Exceptions are pickled from their args; these take keywords, so rebuild from the fields (job engines
        # and process pools pickle the exceptions they carry).
        return (type(self), (self.rule, self.message), dict(self.__dict__))

    def details(self) -> dict[str, str | int | None]:
        """The fields as a JSON-ready mapping (what ``crossdock x12 inspect`` prints)."""
        return {
            "rule": self.rule,
            "message": self.message,
            "segment_index": self.segment_index,
            "segment_tag": self.segment_tag,
            "element": self.element,
            "excerpt": self.excerpt,
        }


class X12SyntaxError(X12Error):
    """The bytes cannot be cut into segments: no ISA, bad delimiters, a truncated file."""


class X12EnvelopeError(X12Error):
    """The segments are readable but the ISA/GS/ST envelopes or their counts and control numbers are wrong."""
