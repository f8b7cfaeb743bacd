"""The slice of RFC 8941 Structured Field Values that HTTP signatures need.

RFC 9421 (``Signature-Input``, ``Signature``) and RFC 9530 (``Content-Digest``)
are dictionaries of inner lists and byte sequences with parameters. We parse
those strictly (a signature header that is not a valid structured field is
refused, not guessed at) and serialize them canonically, because the
``@signature-params`` line of a signature base is the *serialized* inner list.

Only what the signature code uses is here: dictionaries, inner lists, items,
parameters and the bare item types. Top-level lists are not parsed.
"""

from __future__ import annotations

import base64
import binascii
import string
from collections.abc import Mapping
from dataclasses import dataclass, field


class StructuredFieldError(ValueError):
    """A header value is not a valid RFC 8941 structured field."""


class Token(str):
    """An RFC 8941 token: a bare word such as ``sha-256``, not a quoted string."""

    __slots__ = ()


BareItem = int | float | str | bytes | bool
Parameters = dict[str, BareItem]


@dataclass(frozen=True)
class Item:
    """One bare item with its parameters."""

    value: BareItem
    params: Parameters = field(default_factory=dict)


@dataclass(frozen=True)
class InnerList:
    """A parenthesised list of items, with parameters of its own."""

    items: tuple[Item, ...]
    params: Parameters = field(default_factory=dict)


Member = Item | InnerList

_KEY_FIRST = set(string.ascii_lowercase + "*")
_KEY_REST = set(string.ascii_lowercase + string.digits + "_-.*")
_TOKEN_FIRST = set(string.ascii_letters + "*")
# tchar (RFC 9110) plus ":" and "/".
_TOKEN_REST = set(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~:/")
_BASE64_CHARS = set(string.ascii_letters + string.digits + "+/=")


class _Parser:
    """A cursor over one header value, following RFC 8941 section 4.2."""

    def __init__(self, text: str) -> None:
        if not text.isascii():
            raise StructuredFieldError("structured field contains non-ASCII text")
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def eof(self) -> bool:
        return self.pos >= len(self.text)

    def skip_sp(self) -> None:
        while self.peek() == " ":
            self.pos += 1

    def skip_ows(self) -> None:
        while self.peek() in (" ", "\t"):
            self.pos += 1

    def fail(self, what: str) -> StructuredFieldError:
        return StructuredFieldError(f"{what} at character {self.pos}")

    def dictionary(self) -> dict[str, Member]:
        result: dict[str, Member] = {}
        self.skip_sp()
        while not self.eof():
            key = self.key()
            member: Member
            if self.peek() == "=":
                self.pos += 1
                member = self.item_or_inner_list()
            else:
                member = Item(True, self.parameters())
            result[key] = member
            self.skip_ows()
            if self.eof():
                break
            if self.peek() != ",":
                raise self.fail("expected ',' between dictionary members")
            self.pos += 1
            self.skip_ows()
            if self.eof():
                raise self.fail("trailing comma in dictionary")
        return result

    def item_or_inner_list(self) -> Member:
        if self.peek() == "(":
            return self.inner_list()
        return self.item()

    def inner_list(self) -> InnerList:
        self.pos += 1  # "("
        items: list[Item] = []
        while not self.eof():
            self.skip_sp()
            if self.peek() == ")":
                self.pos += 1
                return InnerList(tuple(items), self.parameters())
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise self.fail("expected ' ' or ')' in inner list")
        raise self.fail("unterminated inner list")

    def item(self) -> Item:
        value = self.bare_item()
        return Item(value, self.parameters())

    def parameters(self) -> Parameters:
        params: Parameters = {}
        while self.peek() == ";":
            self.pos += 1
            self.skip_sp()
            key = self.key()
            value: BareItem = True
            if self.peek() == "=":
                self.pos += 1
                value = self.bare_item()
            params[key] = value
        return params

    def key(self) -> str:
        start = self.pos
        if self.peek() not in _KEY_FIRST:
            raise self.fail("expected a lowercase key")
        self.pos += 1
        while not self.eof() and self.peek() in _KEY_REST:
            self.pos += 1
        return self.text[start : self.pos]

    def bare_item(self) -> BareItem:
        char = self.peek()
        if char == "":
            raise self.fail("expected an item")
        if char == "-" or char.isdigit():
            return self.number()
        if char == '"':
            return self.string()
        if char == ":":
            return self.byte_sequence()
        if char == "?":
            return self.boolean()
        if char in _TOKEN_FIRST:
            return self.token()
        raise self.fail(f"unexpected {char!r}")

    def number(self) -> int | float:
        start = self.pos
        if self.peek() == "-":
            self.pos += 1
        if not self.peek().isdigit():
            raise self.fail("expected a digit")
        while not self.eof() and (self.peek().isdigit() or self.peek() == "."):
            self.pos += 1
        text = self.text[start : self.pos]
        digits = text.lstrip("-")
        if "." not in digits:
            if len(digits) > 15:
                raise self.fail("integer too long")
            return int(text)
        whole, _, frac = digits.partition(".")
        if "." in frac or len(whole) > 12 or not 1 <= len(frac) <= 3:
            raise self.fail("malformed decimal")
        return float(text)

    def string(self) -> str:
        self.pos += 1  # opening quote
        out: list[str] = []
        while not self.eof():
            char = self.text[self.pos]
            self.pos += 1
            if char == "\\":
                escaped = self.peek()
                if escaped not in ('"', "\\"):
                    raise self.fail("bad escape in string")
                out.append(escaped)
                self.pos += 1
            elif char == '"':
                return "".join(out)
            elif not " " <= char <= "~":
                raise self.fail("control character in string")
            else:
                out.append(char)
        raise self.fail("unterminated string")

    def token(self) -> Token:
        start = self.pos
        self.pos += 1
        while not self.eof() and self.peek() in _TOKEN_REST:
            self.pos += 1
        return Token(self.text[start : self.pos])

    def byte_sequence(self) -> bytes:
        self.pos += 1  # opening colon
        end = self.text.find(":", self.pos)
        if end < 0:
            raise self.fail("unterminated byte sequence")
        encoded = self.text[self.pos : end]
        if not set(encoded) <= _BASE64_CHARS:
            raise self.fail("byte sequence is not base64")
        self.pos = end + 1
        # RFC 8941 lets parsers accept missing padding; senders do forget it.
        padded = encoded.rstrip("=")
        padded += "=" * (-len(padded) % 4)
        try:
            return base64.b64decode(padded, validate=True)
        except binascii.Error as exc:
            raise self.fail("byte sequence is not base64") from exc

    def boolean(self) -> bool:
        self.pos += 1
        char = self.peek()
        if char not in ("0", "1"):
            raise self.fail("expected ?0 or ?1")
        self.pos += 1
        return char == "1"


def parse_dictionary(text: str) -> dict[str, Member]:
    """Parse a Dictionary field value (RFC 8941 section 4.2.2)."""
    parser = _Parser(text)
    result = parser.dictionary()
    parser.skip_sp()
    if not parser.eof():
        raise parser.fail("unexpected text after dictionary")
    return result


def parse_item(text: str) -> Item:
    """Parse a single Item field value (RFC 8941 section 4.2.3)."""
    parser = _Parser(text)
    parser.skip_sp()
    item = parser.item()
    parser.skip_sp()
    if not parser.eof():
        raise parser.fail("unexpected text after item")
    return item


def serialize_bare_item(value: BareItem) -> str:
    """Serialize one bare item canonically (RFC 8941 section 4.1.3.1)."""
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.3f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    if isinstance(value, Token):
        return str(value)
    if not value.isascii() or any(not " " <= c <= "~" for c in value):
        raise StructuredFieldError("strings must be printable ASCII")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def serialize_params(params: Mapping[str, BareItem]) -> str:
    """Serialize parameters; a ``True`` value is written as the bare key."""
    out = []
    for key, value in params.items():
        out.append(f";{key}" if value is True else f";{key}={serialize_bare_item(value)}")
    return "".join(out)


def serialize_item(item: Item) -> str:
    """Serialize an item with its parameters."""
    return serialize_bare_item(item.value) + serialize_params(item.params)


def serialize_inner_list(inner: InnerList) -> str:
    """Serialize an inner list with its parameters, e.g. ``("@method");created=1``."""
    body = " ".join(serialize_item(item) for item in inner.items)
    return f"({body}){serialize_params(inner.params)}"


def serialize_member(member: Member) -> str:
    """Serialize a dictionary member value (item or inner list)."""
    if isinstance(member, InnerList):
        return serialize_inner_list(member)
    return serialize_item(member)
