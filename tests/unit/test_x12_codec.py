"""The X12 codec: tokenizer, reader, writer and envelope builder, with every rule they enforce."""

from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.connectors.x12.codec import (
    X12EnvelopeError,
    X12Error,
    X12SyntaxError,
    build_interchange,
    read_interchange,
    tokenize,
    tokenize_file,
    write_interchange,
)
from crossdock.connectors.x12.model import (
    Delimiters,
    FunctionalGroup,
    Interchange,
    Party,
    Segment,
    TransactionSet,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "x12"
ISA_4010 = (
    "ISA*00*          *00*          *ZZ*CROSSDOCK      *ZZ*ACME3PL        *"
    "261128*1200*U*00401*000000101*0*T*>~"
)
# A small 940 whose segments are numbered in the file: ISA 1, GS 2, ST 3, W05 4, N1 5, LX 6, W01 7, SE 8,
# GE 9, IEA 10.
SAMPLE = "\n".join(
    [
        ISA_4010,
        "GS*OW*CROSSDOCK*ACME3PL*20261128*1200*101*X*004010~",
        "ST*940*0001~",
        "W05*N*ORD1001*PO1001~",
        "N1*ST*Jane Doe~",
        "LX*1~",
        "W01*2*EA**VN*SKU-1~",
        "SE*6*0001~",
        "GE*1*101~",
        "IEA*1*000000101~",
        "",
    ]
)
NOW = datetime(2026, 11, 28, 14, 5)


def sample(*replacements: tuple[str, str]) -> bytes:
    text = SAMPLE
    for old, new in replacements:
        assert old in text, f"{old!r} is not in the sample"
        text = text.replace(old, new, 1)
    return text.encode("latin-1")


def error_of(data: bytes) -> X12Error:
    with pytest.raises(X12Error) as caught:
        read_interchange(data)
    return caught.value


# --- reading ------------------------------------------------------------------------------------------


def test_reads_the_sample_into_model_values() -> None:
    interchange = read_interchange(sample())

    assert interchange.sender == Party("ZZ", "CROSSDOCK")
    assert interchange.receiver == Party("ZZ", "ACME3PL")
    assert (interchange.date, interchange.time, interchange.version) == ("261128", "1200", "00401")
    assert interchange.control_number == "000000101"
    assert interchange.acknowledgment_requested is False
    assert interchange.usage == "T"
    assert interchange.authorization == ("00", "")
    assert interchange.delimiters == Delimiters("*", ">", "~", None)
    (group,) = interchange.groups
    assert (group.functional_id, group.sender_code, group.receiver_code) == ("OW", "CROSSDOCK", "ACME3PL")
    assert (group.date, group.time, group.control_number, group.agency, group.version) == (
        "20261128",
        "1200",
        "101",
        "X",
        "004010",
    )
    (transaction_set,) = group.transaction_sets
    assert (transaction_set.code, transaction_set.control_number) == ("940", "0001")
    assert transaction_set.implementation_reference is None
    assert [segment.tag for segment in transaction_set.segments] == ["W05", "N1", "LX", "W01"]
    assert transaction_set.segments[3] == Segment("W01", ("2", "EA", "", "VN", "SKU-1"))


def test_reads_the_hand_written_4010_fixture() -> None:
    interchange = read_interchange((FIXTURES / "codec_940_4010.edi").read_bytes())

    (transaction_set,) = interchange.groups[0].transaction_sets
    assert transaction_set.code == "940"
    assert len(transaction_set.segments) == 10
    assert transaction_set.segments[-1] == Segment("W76", ("3",))


def test_reads_the_hand_written_5010_fixture_with_repetition_and_colon_component() -> None:
    data = (FIXTURES / "codec_945_5010.edi").read_bytes()
    interchange = read_interchange(data)

    assert interchange.version == "00501"
    assert interchange.delimiters == Delimiters(element="*", component=":", segment="~", repetition="^")
    assert interchange.groups[0].version == "005010"
    (transaction_set,) = interchange.groups[0].transaction_sets
    assert transaction_set.segments[0] == Segment("W06", ("N", "ORD1001", "20261128", "SHIP1", "", "PO1001"))
    assert tokenize_file(data).fixed_width_isa is True


def test_reads_st03_and_composites() -> None:
    data = sample(("ST*940*0001~", "ST*940*0001*005010X1~"), ("N1*ST*Jane Doe~", "N1*ST*Jane>Doe~"))
    transaction_set = read_interchange(data).groups[0].transaction_sets[0]

    assert transaction_set.implementation_reference == "005010X1"
    assert transaction_set.segments[1].components(2, Delimiters()) == ("Jane", "Doe")


def test_tokenize_returns_the_delimiters_and_every_segment() -> None:
    delimiters, segments = tokenize(sample())

    assert delimiters == Delimiters("*", ">", "~", None)
    assert [segment.tag for segment in segments] == [
        "ISA",
        "GS",
        "ST",
        "W05",
        "N1",
        "LX",
        "W01",
        "SE",
        "GE",
        "IEA",
    ]
    assert segments[0].element(16) == ">"
    assert segments[0].element(6) == "CROSSDOCK      "  # the ISA is kept as written, padding included


# --- tolerated ----------------------------------------------------------------------------------------


def test_tolerates_an_isa_not_padded_to_fixed_width() -> None:
    data = (FIXTURES / "codec_940_unpadded_isa_crlf.edi").read_bytes()
    interchange = read_interchange(data)

    assert tokenize_file(data).fixed_width_isa is False
    assert interchange.sender == Party("ZZ", "CROSSDOCK")
    assert interchange.authorization == ("00", "")
    assert interchange.control_number == "101"
    assert interchange.delimiters == Delimiters("*", ">", "~", None)
    assert [segment.tag for segment in interchange.groups[0].transaction_sets[0].segments] == [
        "W05",
        "N1",
        "LX",
        "W01",
        "W76",
    ]


def test_an_unpadded_isa_reads_like_the_padded_one() -> None:
    unpadded = sample((ISA_4010, "ISA*00**00**ZZ*CROSSDOCK*ZZ*ACME3PL*261128*1200*U*00401*000000101*0*T*>~"))

    assert read_interchange(unpadded) == read_interchange(sample())


@pytest.mark.parametrize(
    "data",
    [
        SAMPLE.replace("~\n", "~\r\n").encode(),
        SAMPLE.replace("~\n", "~").encode(),
        SAMPLE.replace("~\n", "~ \r\n\t").encode(),
        b"\xef\xbb\xbf" + SAMPLE.encode(),
        b"\r\n  \n" + SAMPLE.encode() + b"\n\n",
    ],
    ids=["crlf", "one-line", "blanks", "utf8-bom", "blank-lines-around"],
)
def test_tolerates_blanks_around_segments(data: bytes) -> None:
    assert read_interchange(data) == read_interchange(sample())


@pytest.mark.parametrize(
    ("element", "component", "terminator", "repetition"),
    [
        ("|", "^", "~", None),
        ("^", "\\", "\n", None),
        ("\x1d", "\x1f", "\x1c", "\x1e"),
        ("\x1c", "\x1d", "\x1e", None),
        ("+", ":", "'", "!"),
    ],
    ids=["pipe", "caret-newline", "fs-gs-rs-us", "fs-gs-rs", "edifact-like"],
)
def test_reads_unusual_delimiters_from_the_isa(
    element: str, component: str, terminator: str, repetition: str | None
) -> None:
    text = (
        SAMPLE.replace("~\n", "\x00")
        .replace("*", element)
        .replace(">", component)
        .replace("\x00", terminator)
    )
    if repetition is not None:
        text = text.replace(f"{element}U{element}00401", f"{element}{repetition}{element}00501")
    interchange = read_interchange(text.encode("latin-1"))

    assert interchange.delimiters == Delimiters(element, component, terminator, repetition)
    assert interchange.groups[0].transaction_sets[0].segments[3] == Segment(
        "W01", ("2", "EA", "", "VN", "SKU-1")
    )


def test_a_5010_file_that_keeps_u_in_isa11_has_no_repetition_separator() -> None:
    interchange = read_interchange(sample(("*U*00401*", "*U*00501*")))

    assert interchange.version == "00501"
    assert interchange.delimiters.repetition is None


def test_trailer_control_numbers_may_drop_the_zero_padding() -> None:
    interchange = read_interchange(sample(("IEA*1*000000101~", "IEA*1*101~"), ("SE*6*0001~", "SE*6*1~")))

    assert interchange.control_number == "000000101"
    assert interchange.groups[0].transaction_sets[0].control_number == "0001"


def test_latin1_text_is_read_as_is() -> None:
    interchange = read_interchange(sample(("Jane Doe", "Zoë Müller")))

    assert interchange.groups[0].transaction_sets[0].segments[1].element(2) == "Zoë Müller"


# --- syntax errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "rule", "fragment"),
    [
        (SAMPLE.encode("utf-16"), "nul-byte", "NUL byte at offset"),
        (b"GS*OW*A*B~", "no-isa", "starts with ISA, this one with 'GS*OW*A*B~'"),
        (b"", "no-isa", "this one with ''"),
        (
            b"ISA*00*          *00*",
            "isa-element-count",
            "the file ends after 4 of the ISA's 16 element separators",
        ),
        (sample(("*T*>~", "*T*>*X~")), "isa-element-count", "more than 16 elements"),
        (sample(("*0*T*>~", "*T*>~")), "isa-length", "ISA15 is '>~\\nGS'"),
        (sample(("*000000101*", "*0000001010*")), "isa-length", "ISA13 is '0000001010', 10 characters"),
        (sample(("*T*>~", "*T*A~")), "delimiter-alphanumeric", "component separator (ISA16) is 'A'"),
        (sample(("*T*>~", "*T*>5")), "delimiter-alphanumeric", "segment terminator (after ISA16) is '5'"),
        (sample(("*T*>~", "*T*~~")), "delimiter-duplicate", "component separator (ISA16) and the segment"),
        (
            sample(("*U*00401", "*>*00501")),
            "delimiter-duplicate",
            "component separator (ISA16) and the repet",
        ),
        (sample(("*T*>~", "*T* ~")), "delimiter-space", "component separator (ISA16) is a space"),
        (sample(("*U*00401", "*X*00401")), "isa-value", "ISA11 is 'X'"),
        (sample(("IEA*1*000000101~\n", "IEA*1*000000101")), "unterminated", "no segment terminator '~'"),
        (sample(("GE*1*101~\nIEA*1*000000101~\n", "")), "truncated", "ends with SE, not IEA"),
        (sample(("LX*1~", "LX*1~~")), "empty-segment", "two segment terminators"),
        (sample(("LX*1~", "lx*1~")), "bad-segment-tag", "'lx' is not a segment tag"),
        (sample(("N1*ST*Jane Doe~", "N1*ST*Jane\nDoe~")), "control-character", "N102 holds the control"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 30 else None,
)
def test_syntax_errors_name_their_rule(data: bytes, rule: str, fragment: str) -> None:
    error = error_of(data)

    assert isinstance(error, X12SyntaxError)
    assert error.rule == rule
    assert fragment in error.message


def test_a_truncated_file_points_at_its_last_segment() -> None:
    data = SAMPLE.encode()[: SAMPLE.index("W01*2") + 5]
    error = error_of(data)

    assert error.rule == "unterminated"
    assert (error.segment_index, error.segment_tag, error.excerpt) == (7, "W01", "W01*2")
    assert (
        str(error)
        == "segment 7 (W01): the last segment has no segment terminator '~': the file is truncated "
        "[unterminated]"
    )


def test_isa_errors_name_the_element() -> None:
    error = error_of(sample(("*000000101*", "*0000001010*")))

    assert (error.segment_index, error.segment_tag, error.element) == (1, "ISA", 13)
    assert error.excerpt is not None and error.excerpt.startswith("ISA*00*")


def test_a_runaway_excerpt_is_cut() -> None:
    error = error_of(sample(("IEA*1*000000101~\n", "IEA*1*000000101" + "X" * 200)))

    assert error.excerpt is not None and len(error.excerpt) == 80 and error.excerpt.endswith("…")


# --- envelope errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("replacements", "rule", "index", "tag", "element", "message"),
    [
        (
            [("IEA*1*000000101", "IEA*1*000000102")],
            "ctrl-mismatch",
            10,
            "IEA",
            2,
            "IEA02 is '000000102' but ISA13 is '000000101'",
        ),
        (
            [("GE*1*101", "GE*1*102")],
            "ctrl-mismatch",
            9,
            "GE",
            2,
            "GE02 is '102' but the group's GS06 (segment 2) is '101'",
        ),
        (
            [("SE*6*0001", "SE*6*0002")],
            "ctrl-mismatch",
            8,
            "SE",
            2,
            "SE02 is '0002' but the set's ST02 (segment 3) is '0001'",
        ),
        ([("SE*6*", "SE*7*")], "segment-count", 8, "SE", 1, "SE01 says 7 segments, the set has 6"),
        ([("SE*6*", "SE*six*")], "segment-count", 8, "SE", 1, "SE01 is 'six', not a count"),
        ([("GE*1*", "GE*2*")], "set-count", 9, "GE", 1, "GE01 says 2 transaction sets, the group has 1"),
        ([("IEA*1*", "IEA*0*")], "group-count", 10, "IEA", 1, "IEA01 says 0 functional groups"),
        ([("*0*T*>", "*2*T*>")], "isa-value", 1, "ISA", 14, "ISA14 (acknowledgment requested) is '2'"),
        ([("*000000101*0*T", "*00000010A*0*T")], "isa-value", 1, "ISA", 13, "ISA13 (control number)"),
        ([("ST*940*0001~", "ST*940~")], "missing-element", 3, "ST", 2, "ST02 is required and empty"),
        ([("GS*OW*CROSSDOCK", "GS**CROSSDOCK")], "missing-element", 2, "GS", 1, "GS01 is required"),
        (
            [("LX*1~", "SE*4*0001~\nLX*1~")],
            "segment-outside-set",
            7,
            "LX",
            None,
            "LX sits inside group 101 but outside any ST…SE",
        ),
        (
            [("GS*OW", "N9*ZZ*1~\nGS*OW")],
            "segment-outside-group",
            2,
            "N9",
            None,
            "N9 sits outside any GS…GE",
        ),
        (
            [("GS*OW*CROSSDOCK*ACME3PL*20261128*1200*101*X*004010~\n", "")],
            "segment-outside-group",
            2,
            "ST",
            None,
            "ST opens",
        ),
        (
            [("SE*6*0001~\n", "")],
            "missing-se",
            8,
            "GE",
            None,
            "ST '0001' (segment 3) has no SE: GE comes first",
        ),
        ([("LX*1~", "ST*940*0002~\nLX*1~")], "missing-se", 6, "ST", None, "ST '0001' (segment 3) has no SE"),
        (
            [("GE*1*101~\n", "")],
            "missing-ge",
            9,
            "IEA",
            None,
            "GS '101' (segment 2) has no GE: IEA comes first",
        ),
        (
            [("GE*1*101~", "SE*1*0001~\nGE*1*101~")],
            "unknown-segment-order",
            9,
            "SE",
            None,
            "SE closes a transaction set never",
        ),
        (
            [("IEA*1*", "GE*1*101~\nIEA*1*")],
            "unknown-segment-order",
            10,
            "GE",
            None,
            "GE closes a functional group never opened",
        ),
        ([("LX*1~", "ISA*00~\nLX*1~")], "unknown-segment-order", 6, "ISA", None, "a second ISA"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 30 else None,
)
def test_envelope_errors_name_rule_segment_and_element(
    replacements: list[tuple[str, str]], rule: str, index: int, tag: str, element: int | None, message: str
) -> None:
    error = error_of(sample(*replacements))

    assert isinstance(error, X12EnvelopeError)
    assert error.rule == rule
    assert (error.segment_index, error.segment_tag, error.element) == (index, tag, element)
    assert message in error.message


def test_a_second_interchange_is_refused() -> None:
    error = error_of(SAMPLE.encode() * 2)

    assert error.rule == "multiple-interchanges"
    assert error.segment_index == 11
    assert error.segment_tag == "ISA"
    assert "one interchange per file" in error.message


def test_error_reads_well_for_an_operator() -> None:
    error = error_of(sample(("SE*6*", "SE*7*")))

    assert (
        str(error)
        == "segment 8 (SE): SE01 says 7 segments, the set has 6 (ST and SE included) [segment-count]"
    )
    assert error.excerpt == "SE*7*0001"
    assert error.details() == {
        "rule": "segment-count",
        "message": "SE01 says 7 segments, the set has 6 (ST and SE included)",
        "segment_index": 8,
        "segment_tag": "SE",
        "element": 1,
        "excerpt": "SE*7*0001",
    }
    assert str(X12Error("encoding", "bad")) == "bad [encoding]"


def test_errors_survive_pickling() -> None:
    error = error_of(sample(("SE*6*", "SE*7*")))

    copy = pickle.loads(pickle.dumps(error))

    assert type(copy) is X12EnvelopeError
    assert copy.details() == error.details()
    assert str(copy) == str(error)


def test_several_groups_and_sets_are_read_in_order() -> None:
    second_set = "ST*940*0002~\nW05*N*ORD2~\nSE*3*0002~\n"
    second_group = (
        "GS*FA*CROSSDOCK*ACME3PL*20261128*1200*102*X*004010~\n"
        "ST*997*0003~\nAK1*SW*5~\nAK9*A*1*1*1~\nSE*4*0003~\nGE*1*102~\n"
    )
    data = sample(("GE*1*101~\n", second_set + "GE*2*101~\n" + second_group), ("IEA*1*", "IEA*2*"))
    interchange = read_interchange(data)

    assert [group.functional_id for group in interchange.groups] == ["OW", "FA"]
    assert [s.control_number for s in interchange.groups[0].transaction_sets] == ["0001", "0002"]
    assert interchange.groups[1].transaction_sets[0].segments == (
        Segment("AK1", ("SW", "5")),
        Segment("AK9", ("A", "1", "1", "1")),
    )


# --- writing ------------------------------------------------------------------------------------------


def test_writes_the_sample_byte_for_byte() -> None:
    assert write_interchange(read_interchange(sample())) == sample()


def test_rewrites_the_fixtures_as_read() -> None:
    for name in ("codec_940_4010.edi", "codec_945_5010.edi"):
        data = (FIXTURES / name).read_bytes()
        line_ending = "\n" if b"~\n" in data else ""
        assert write_interchange(read_interchange(data), line_ending=line_ending) == data, name


def test_pads_an_unpadded_isa_to_106_characters() -> None:
    data = (FIXTURES / "codec_940_unpadded_isa_crlf.edi").read_bytes()
    written = write_interchange(read_interchange(data), line_ending="\r\n")

    isa = written.split(b"\r\n")[0]
    assert len(isa) == 106
    assert isa == (
        b"ISA*00*          *00*          *ZZ*CROSSDOCK      *ZZ*ACME3PL        *"
        b"261128*1200*U*00401*000000101*0*T*>~"
    )
    assert written.endswith(b"IEA*1*000000101~\r\n")


def test_computes_trailers_and_drops_trailing_empty_elements() -> None:
    interchange = read_interchange(sample())
    transaction_set = interchange.groups[0].transaction_sets[0]
    longer = replace(transaction_set, segments=(*transaction_set.segments, Segment("W76", ("2", "", ""))))
    group = replace(interchange.groups[0], transaction_sets=(longer,))

    written = write_interchange(replace(interchange, groups=(group,)), line_ending="").decode()

    assert "~W76*2~SE*7*0001~GE*1*101~IEA*1*000000101~" in written
    assert "\n" not in written


def test_writes_the_delimiters_of_the_interchange() -> None:
    interchange = replace(read_interchange(sample()), delimiters=Delimiters("|", "\\", "\x1c", "^"))

    written = write_interchange(interchange, line_ending="")

    assert written.startswith(b"ISA|00|          |00|")
    assert written[81:83] == b"|^"  # ISA11 holds the repetition separator
    assert written[103:106] == b"|\\\x1c"
    assert read_interchange(written) == interchange


def test_refuses_an_unknown_line_ending() -> None:
    with pytest.raises(ValueError, match="line_ending"):
        write_interchange(read_interchange(sample()), line_ending="\t")


def _with_segment(segment: Segment) -> Interchange:
    interchange = read_interchange(sample())
    transaction_set = replace(interchange.groups[0].transaction_sets[0], segments=(segment,))
    return replace(interchange, groups=(replace(interchange.groups[0], transaction_sets=(transaction_set,)),))


@pytest.mark.parametrize(
    ("interchange", "rule", "tag", "element", "fragment"),
    [
        (
            _with_segment(Segment("N1", ("ST", "Jane*Doe"))),
            "delimiter-in-value",
            "N1",
            2,
            "N102 is 'Jane*Doe'",
        ),
        (_with_segment(Segment("N1", ("ST", "Jane~"))), "delimiter-in-value", "N1", 2, "N102 is 'Jane~'"),
        (_with_segment(Segment("N1", ("ST", "Ja\tne"))), "control-character", "N1", 2, "N102 holds"),
        (_with_segment(Segment("N1", ("ST", "李"))), "encoding", "N1", None, "'李' cannot be written"),
        (_with_segment(Segment("n1", ("ST",))), "bad-segment-tag", None, None, "'n1' is not a segment tag"),
        (_with_segment(Segment("SE", ("3", "0001"))), "envelope-in-body", "SE", None, "holds a SE segment"),
        (
            replace(read_interchange(sample()), sender=Party("ZZ", "A>B")),
            "delimiter-in-value",
            "ISA",
            6,
            "ISA06 is 'A>B'",
        ),
        (
            replace(read_interchange(sample()), sender=Party("ZZ", "X" * 16)),
            "isa-length",
            "ISA",
            6,
            "16 characters where at most 15 fit",
        ),
        (replace(read_interchange(sample()), control_number="12A"), "isa-value", "ISA", 13, "'12A'"),
        (replace(read_interchange(sample()), date="2026-11"), "isa-length", "ISA", 9, "ISA09 is '2026-11'"),
        (replace(read_interchange(sample()), time="12h"), "isa-value", "ISA", 10, "expected HHMM"),
        (
            replace(read_interchange(sample()), delimiters=Delimiters("*", "*", "~")),
            "delimiter-duplicate",
            None,
            None,
            "not all different",
        ),
        (
            replace(read_interchange(sample()), delimiters=Delimiters("A", ">", "~")),
            "delimiter-invalid",
            None,
            None,
            "'A' cannot be a delimiter",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 30 else None,
)
def test_writer_errors(
    interchange: Interchange, rule: str, tag: str | None, element: int | None, fragment: str
) -> None:
    with pytest.raises(X12Error) as caught:
        write_interchange(interchange)

    assert caught.value.rule == rule
    assert (caught.value.segment_tag, caught.value.element) == (tag, element)
    assert fragment in caught.value.message


def test_envelope_fields_refuse_the_component_separator_body_elements_keep_it() -> None:
    group = read_interchange(sample()).groups[0]
    bad_group = replace(group, sender_code="A>B")
    with pytest.raises(X12Error, match=r"GS02 is 'A>B'") as caught:
        write_interchange(replace(read_interchange(sample()), groups=(bad_group,)))
    assert caught.value.rule == "delimiter-in-value"

    composite = _with_segment(Segment("N1", ("ST", "Jane>Doe")))
    assert read_interchange(write_interchange(composite)) == composite


# --- envelope builder ---------------------------------------------------------------------------------


def _build(**overrides: object) -> Interchange:
    arguments: dict[str, object] = {
        "sender": Party("ZZ", "CROSSDOCK"),
        "receiver": Party("ZZ", "ACME3PL"),
        "gs_sender": "CROSSDOCK",
        "gs_receiver": "ACME3PL",
        "version": "004010",
        "usage": "T",
        "interchange_control": 42,
        "group_control": 7,
        "sets": [("940", "OW", [Segment("W05", ("N", "ORD1"))])],
        "now": NOW,
    }
    arguments.update(overrides)
    return build_interchange(**arguments)  # type: ignore[arg-type]


def test_build_interchange_4010() -> None:
    interchange = _build()

    assert interchange.version == "00401"
    assert interchange.control_number == "000000042"
    assert (interchange.date, interchange.time) == ("261128", "1405")
    assert interchange.acknowledgment_requested is True
    assert interchange.delimiters == Delimiters("*", ">", "~", None)
    (group,) = interchange.groups
    assert group == FunctionalGroup(
        functional_id="OW",
        sender_code="CROSSDOCK",
        receiver_code="ACME3PL",
        date="20261128",
        time="1405",
        control_number="7",
        agency="X",
        version="004010",
        transaction_sets=(TransactionSet("940", "0001", (Segment("W05", ("N", "ORD1")),)),),
    )
    written = write_interchange(interchange)
    assert written.startswith(
        b"ISA*00*          *00*          *ZZ*CROSSDOCK      *ZZ*ACME3PL        *"
        b"261128*1405*U*00401*000000042*1*T*>~\n"
    )
    assert read_interchange(written) == interchange


def test_build_interchange_5010_groups_by_functional_id_and_numbers_sets() -> None:
    body = [Segment("W05", ("N", "ORD1"))]
    ack = [Segment("AK1", ("SW", "5")), Segment("AK9", ("A", "1", "1", "1"))]
    interchange = _build(
        version="005010",
        sets=[("940", "OW", body), ("997", "FA", ack), ("940", "OW", body)],
        first_set_control=9998,
        acknowledgment_requested=False,
    )

    assert interchange.version == "00501"
    assert interchange.delimiters.repetition == "^"
    assert interchange.acknowledgment_requested is False
    assert [(g.functional_id, g.control_number, g.version) for g in interchange.groups] == [
        ("OW", "7", "005010"),
        ("FA", "8", "005010"),
    ]
    assert [[s.control_number for s in g.transaction_sets] for g in interchange.groups] == [
        ["9998", "9999"],
        ["10000"],
    ]
    written = write_interchange(interchange)
    assert b"*^*00501*000000042*0*T*>~" in written
    assert read_interchange(written) == interchange


@pytest.mark.parametrize(
    ("overrides", "rule", "fragment"),
    [
        ({"version": "003040"}, "unsupported-version", "'003040'"),
        ({"usage": "X"}, "isa-value", "usage (ISA15) is 'X'"),
        ({"interchange_control": 0}, "control-range", "interchange control number 0"),
        ({"interchange_control": 1_000_000_000}, "control-range", "1000000000"),
        (
            {"group_control": 999_999_999, "sets": [("940", "OW", []), ("997", "FA", [])]},
            "control-range",
            "group",
        ),
        ({"first_set_control": 0}, "control-range", "transaction set control number 0"),
    ],
)
def test_build_interchange_refuses(overrides: dict[str, object], rule: str, fragment: str) -> None:
    with pytest.raises(X12Error) as caught:
        _build(**overrides)

    assert caught.value.rule == rule
    assert fragment in caught.value.message


# --- round trips --------------------------------------------------------------------------------------

_DELIMITER_SETS = [
    Delimiters("*", ">", "~", None),
    Delimiters("*", ":", "~", "^"),
    Delimiters("|", "^", "\n", None),
    Delimiters("\x1d", "\x1f", "\x1c", "\x1e"),
]
# Element text: printable latin-1 without the characters any of the delimiter sets above uses.
_TEXT = st.text(
    alphabet=st.characters(
        codec="latin-1",
        categories=("L", "N", "P", "S", "Zs"),
        exclude_characters="*>~:^|",
    ),
    max_size=12,
)
_ID = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=9)
_TAG = st.from_regex(r"[A-Z][A-Z0-9]{1,2}", fullmatch=True).filter(
    lambda tag: tag not in ("ISA", "IEA", "GS", "GE", "ST", "SE")
)


@st.composite
def _segments(draw: st.DrawFn) -> Segment:
    elements = draw(st.lists(_TEXT, max_size=6))
    # X12 does not transmit trailing empty elements, so the writer drops them: end on a non-empty one.
    last = draw(_TEXT.filter(lambda text: text != ""))
    return Segment(draw(_TAG), (*elements, last))


@st.composite
def _interchanges(draw: st.DrawFn) -> Interchange:
    groups = []
    for group_number in range(draw(st.integers(0, 2))):
        sets = tuple(
            TransactionSet(
                code=draw(st.sampled_from(["940", "945", "846", "997"])),
                control_number=f"{draw(st.integers(1, 99999)):04d}",
                segments=tuple(draw(st.lists(_segments(), max_size=5))),
                implementation_reference=draw(st.none() | _ID),
            )
            for _ in range(draw(st.integers(1, 3)))
        )
        groups.append(
            FunctionalGroup(
                functional_id=draw(st.sampled_from(["OW", "SW", "FA"])),
                sender_code=draw(_ID),
                receiver_code=draw(_ID),
                date="20261128",
                time=draw(st.sampled_from(["1200", "120059"])),
                control_number=str(group_number + 1),
                agency="X",
                version=draw(st.sampled_from(["004010", "005010"])),
                transaction_sets=sets,
            )
        )
    return Interchange(
        sender=Party(draw(st.sampled_from(["ZZ", "01", "12"])), draw(_ID)),
        receiver=Party("ZZ", draw(_ID)),
        date="261128",
        time=draw(st.sampled_from(["0000", "2359"])),
        version=draw(st.sampled_from(["00401", "00501"])),
        control_number=f"{draw(st.integers(1, 999_999_999)):09d}",
        acknowledgment_requested=draw(st.booleans()),
        usage=draw(st.sampled_from(["P", "T"])),
        groups=tuple(groups),
        delimiters=draw(st.sampled_from(_DELIMITER_SETS)),
        authorization=("00", draw(st.sampled_from(["", "SECRET"]))),
    )


@settings(max_examples=60, deadline=None)
@given(_interchanges(), st.sampled_from(["", "\n", "\r\n"]))
def test_write_then_read_gives_the_same_interchange(interchange: Interchange, line_ending: str) -> None:
    written = write_interchange(interchange, line_ending=line_ending)

    assert read_interchange(written) == interchange
    assert written.index(interchange.delimiters.segment.encode()) == 105  # the fixed-width ISA


@settings(max_examples=40, deadline=None)
@given(_interchanges())
def test_write_read_write_is_stable(interchange: Interchange) -> None:
    written = write_interchange(interchange)

    assert write_interchange(read_interchange(written)) == written
