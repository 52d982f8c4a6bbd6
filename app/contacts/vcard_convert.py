"""vCard 3.0 (RFC 2426) <-> 4.0 (RFC 6350) on output, and property selection for partial
address data (RFC 6352 10.4.2). Cards are stored exactly as clients sent them; a client that
asks for the other version gets a converted copy (RFC 6350 appendix A lists the differences).

Content lines are read and folded with vobject's line helpers; values pass through untouched
except where the two versions write the same thing differently (media, PREF, TEL URIs, GEO).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from vobject.base import foldOneLine, getLogicalLines, parseLine

VERSIONS = ("3.0", "4.0")
# vCard 3 properties that vCard 4 dropped (RFC 6350 A.2), and the reverse.
_ONLY_V3 = {"NAME", "MAILER", "LABEL", "CLASS", "PROFILE", "SORT-STRING", "AGENT"}
_ONLY_V4_DROP = {"CLIENTPIDMAP", "XML"}
# vCard 4 properties that Apple's and other vCard 3 clients read as extensions.
_V4_TO_X = {
    "ANNIVERSARY": "X-ANNIVERSARY",
    "GENDER": "X-GENDER",
    "LANG": "X-LANG",
    "RELATED": "X-RELATED",
    "MEMBER": "X-ADDRESSBOOKSERVER-MEMBER",
    "KIND": "X-ADDRESSBOOKSERVER-KIND",
}
_X_TO_V4 = {v: k for k, v in _V4_TO_X.items()}
_V4_ONLY_PARAMS = {
    "PID",
    "ALTID",
    "CALSCALE",
    "SORT-AS",
    "GEO",
    "TZ",
    "LABEL",
    "MEDIATYPE",
    "INDEX",
}
_MEDIA = {"PHOTO", "LOGO", "SOUND", "KEY"}
_DATA_URI = re.compile(r"^data:([^;,]*)((?:;[^;,]*)*),(.*)$", re.DOTALL)


@dataclass
class Line:
    """One content line: group, NAME, parameters (NAME -> values) and the raw value."""

    group: str | None
    name: str
    params: dict[str, list[str]]
    value: str

    @property
    def key(self) -> str:
        """The name in upper case (names are case-insensitive; the original is kept)."""
        return self.name.upper()

    def render(self) -> str:
        """The line as text, folded at 75 octets with CRLF (RFC 6350 3.2)."""
        head = f"{self.group}.{self.name}" if self.group else self.name
        for key, values in self.params.items():
            head += f";{key}=" + ",".join(_quote(v) for v in values)
        out = io.StringIO()
        foldOneLine(out, f"{head}:{self.value}")
        return out.getvalue()


def _quote(value: str) -> str:
    return f'"{value}"' if any(c in value for c in ":;,") else value


def lines_of(text: str) -> list[Line]:
    """The unfolded content lines of one vCard."""
    lines = []
    for logical, _number in getLogicalLines(io.StringIO(text)):
        name, params, value, group = parseLine(logical)
        merged: dict[str, list[str]] = {}
        for param in params:
            values = [part for v in param[1:] for part in str(v).split(",")]
            merged.setdefault(param[0].upper(), []).extend(values)
        lines.append(Line(group, name, merged, value))
    return lines


def version_of(text: str) -> str:
    """The VERSION of a stored card (``"4.0"`` if it has none)."""
    for line in lines_of(text):
        if line.key == "VERSION":
            return line.value.strip()
    return "4.0"


def convert(text: str, version: str) -> str:
    """The card as vCard ``version`` (3.0 or 4.0); unchanged if it is that version already."""
    if version not in VERSIONS or version_of(text) == version:
        return text
    lines = lines_of(text)
    converted = _to_v3(lines) if version == "3.0" else _to_v4(lines)
    return "".join(line.render() for line in converted)


def select(text: str, names: list[tuple[str, bool]]) -> str:
    """Only the named properties (``(NAME, novalue)``), with BEGIN, VERSION and END always."""
    wanted = {name.upper(): novalue for name, novalue in names}
    kept = []
    for line in lines_of(text):
        if line.key in ("BEGIN", "END", "VERSION"):
            kept.append(line)
        elif line.key in wanted:
            kept.append(
                Line(line.group, line.name, line.params, "" if wanted[line.key] else line.value)
            )
    return "".join(line.render() for line in kept)


def _to_v4(lines: list[Line]) -> list[Line]:
    result = []
    for line in lines:
        name, params = _X_TO_V4.get(line.key, line.key), dict(line.params)
        if name in _ONLY_V3:
            continue
        value = "4.0" if name == "VERSION" else line.value
        params.pop("CHARSET", None)
        types = [t for t in params.pop("TYPE", []) if t.upper() != "INTERNET"]
        if any(t.upper() == "PREF" for t in types):
            types = [t for t in types if t.upper() != "PREF"]
            params["PREF"] = ["1"]
        if name in _MEDIA and params.get("ENCODING", [""])[0].upper() in ("B", "BASE64"):
            params.pop("ENCODING")
            kind = _media_type(name, types[0]) if types else "application/octet-stream"
            value, types = f"data:{kind};base64,{value}", []
        elif name in _MEDIA and params.get("VALUE", [""])[0].upper() == "URI":
            params.pop("VALUE")
        if name == "GEO" and ";" in value:
            value = "geo:" + value.replace(";", ",")
        if name == "KIND":
            value = value.lower()
        if types:
            params["TYPE"] = [t.lower() for t in types]
        result.append(Line(line.group, line.name if name == line.key else name, params, value))
    return result


def _to_v3(lines: list[Line]) -> list[Line]:
    result, has_n, full_name = [], False, ""
    for line in lines:
        name, params = line.key, dict(line.params)
        if name in _ONLY_V4_DROP or (name == "KIND" and line.value.lower() != "group"):
            continue
        name = _V4_TO_X.get(name, name)
        value = "3.0" if name == "VERSION" else line.value
        has_n, full_name = has_n or name == "N", value if name == "FN" else full_name
        for key in _V4_ONLY_PARAMS:
            params.pop(key, None)
        types = [t.upper() for t in params.pop("TYPE", [])]
        if params.pop("PREF", None):
            types.append("PREF")
        match = _DATA_URI.match(value) if name in _MEDIA else None
        if match is not None and ";base64" in match.group(2):
            params["ENCODING"] = ["b"]
            types = [match.group(1).rpartition("/")[2].upper() or "JPEG"]
            value = match.group(3)
        elif name in _MEDIA and ":" in value:
            params["VALUE"] = ["uri"]
        if name == "TEL" and params.get("VALUE", [""])[0].lower() == "uri":
            params.pop("VALUE")
            value = value.removeprefix("tel:")
        if name == "GEO" and value.startswith("geo:"):
            value = value.removeprefix("geo:").split(";")[0].replace(",", ";", 1)
        if types:
            params["TYPE"] = types
        result.append(Line(line.group, line.name if name == line.key else name, params, value))
    if not has_n:  # N is required in vCard 3 (RFC 2426 3.1.2)
        end = next(i for i, line in enumerate(result) if line.key == "END")
        result.insert(end, Line(None, "N", {}, f"{full_name};;;;"))
    return result


def _media_type(name: str, type_value: str) -> str:
    if "/" in type_value:
        return type_value.lower()
    family = {"SOUND": "audio", "KEY": "application"}.get(name, "image")
    return f"{family}/{type_value.lower()}"
