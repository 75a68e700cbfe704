"""The X12 codec: bytes ⇄ the values of ``connectors.x12.model``, with the envelope rules checked."""

from crossdock.connectors.x12.codec.envelope import build_interchange
from crossdock.connectors.x12.codec.errors import X12EnvelopeError, X12Error, X12SyntaxError
from crossdock.connectors.x12.codec.reader import interchange_of, isa_header, read_interchange
from crossdock.connectors.x12.codec.tokenizer import TokenizedFile, read_isa, tokenize, tokenize_file
from crossdock.connectors.x12.codec.writer import write_interchange

__all__ = [
    "TokenizedFile",
    "X12EnvelopeError",
    "X12Error",
    "X12SyntaxError",
    "build_interchange",
    "interchange_of",
    "isa_header",
    "read_interchange",
    "read_isa",
    "tokenize",
    "tokenize_file",
    "write_interchange",
]
