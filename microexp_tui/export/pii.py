"""Identifying-data guard: every value in the database that could name a person, searched for
in every file an export wrote, before the export is allowed to finish.

Values come from the identity table (name, contact, notes), operator names and free text
anywhere in the database (columns such as operator, author, actor, notes, text, reason),
participant codes, session UUIDs, every calendar date stored in any text column (in ISO,
EDF and common local spellings), and the site secret itself. The search is
case-insensitive, also tries accent-free and underscore spellings (EDF+ replaces spaces
with '_'), and matches whole tokens only, so a name never matches inside a longer word.
Names are searched whole and word by word (words of 4+ letters that are not roles or
titles such as "Operator"); contact details whole, by part and as bare phone digits.

Not searched, and why: birth years and numeric row ids (short numbers occur in any data;
the export never writes them); codes shorter than 4 characters or without a letter (they
would match labels such as `ses-01`; the export never writes codes, only keyed labels);
free text shorter than 20 characters or 3 words (common phrases such as "motion artifact"
would match the export's own wording; names inside notes are found by the name search)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from microexp_tui.store.sessions import SessionStore

NAME_COLUMNS = re.compile(r"^(name|operator|author|actor|technician|experimenter)$")
CONTACT_COLUMNS = re.compile(r"contact|email|phone|address")
TEXT_COLUMNS = re.compile(r"^(notes?|text|reason|comments?)$")
GENERIC_ACTORS = frozenset(
    {"system", "operator", "unknown", "none", "null", "n/a", "admin", "user", "root", "tui"}
)
ROLE_WORDS = frozenset(
    {
        "operator",
        "doctor",
        "nurse",
        "student",
        "assistant",
        "research",
        "researcher",
        "technician",
        "team",
        "group",
        "staff",
        "professor",
        "prof.",
        "miss",
        "mister",
        "madam",
        "site",
        "study",
        "unknown",
        "participant",
        "subject",
        "session",
        "system",
    }
)
"""Words of a name field that are roles or titles, not names (never searched alone)."""
RESEARCHER_COLUMNS = re.compile(r"^(operator|author|actor|technician|experimenter)$")
PARTICIPANT_NAME = "participant name"
OPERATOR_NAME = "operator name"
"""Kind of a name found in a researcher's column (operator, author, actor...)."""
OTHER_NAME = "name"
"""Kind of a name in a `name` column of a table that does not say whose it is."""
MIN_NAME_CHARS = 3
MIN_TOKEN_CHARS = 4
MIN_CODE_CHARS = 4
MIN_PART_CHARS = 5
MIN_SENTENCE_CHARS = 20
MIN_SENTENCE_WORDS = 3
MIN_PHONE_DIGITS = 9
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class Sensitive:
    """A value from the database that must never appear in an export."""

    kind: str
    source: str
    """Where it lives, e.g. `participant_identity.name (participant 3)`."""
    value: str

    @property
    def masked(self) -> str:
        """The value with all but its first character hidden, for messages."""
        return self.value[:1] + "*" * min(len(self.value) - 1, 8)


@dataclass(frozen=True)
class Finding:
    """A sensitive value found in a written file."""

    file: str
    where: str
    item: Sensitive

    def describe(self) -> str:
        """One line naming what was found, whose it is, and where."""
        return (
            f"{self.item.kind} from {self.item.source} ('{self.item.masked}') "
            f"in {self.file} ({self.where})"
        )


@dataclass(frozen=True)
class Needle:
    """One spelling of a sensitive value, as lower-case UTF-8 bytes."""

    pattern: bytes
    item: Sensitive
    word_start: bool
    word_end: bool


# Collecting values -------------------------------------------------------------------------


def collect(store: SessionStore, extra: Sequence[Sensitive] = ()) -> list[Sensitive]:
    """Every identifying value in the database (plus `extra`, such as the site secret)."""
    items = list(extra)
    stored = sorted(store.identifying_values(), key=lambda text: _table_order(text.table))
    for table, column, owner, value in stored:
        source = f"{table}.{column} ({owner})"
        items.extend(_by_column(table, column, value.strip(), source))
        items.extend(_dates(value, source))
    return list(dict.fromkeys(items))


def _table_order(table: str) -> tuple[int, str]:
    """Identity and session tables first, so findings name the most telling source."""
    first = ("participant_identity", "participants", "sessions")
    return (first.index(table) if table in first else len(first), table)


def _by_column(table: str, column: str, value: str, source: str) -> list[Sensitive]:
    """Sensitive values implied by the column's meaning."""
    if table == "participants" and column == "code":
        return [Sensitive("participant code", source, value)] if _codelike(value) else []
    if table == "sessions" and column == "uuid":
        return [Sensitive("session id", source, value)]
    if NAME_COLUMNS.match(column):
        kind = _name_kind(table, column)
        return _names(kind, value, source)
    if CONTACT_COLUMNS.search(column):
        return _contact(value, source)
    if TEXT_COLUMNS.match(column):
        return _free_text(value, source)
    return []


def _name_kind(table: str, column: str) -> str:
    """Whose name a name column holds: a participant's, a researcher's, or someone's."""
    if table == "participant_identity":
        return PARTICIPANT_NAME
    return OPERATOR_NAME if RESEARCHER_COLUMNS.match(column) else OTHER_NAME


def _codelike(value: str) -> bool:
    """Whether a code is distinctive enough to search for without false alarms."""
    return len(value) >= MIN_CODE_CHARS and any(c.isalpha() for c in value)


def _names(kind: str, value: str, source: str) -> list[Sensitive]:
    """A person's name and each longer word of it."""
    if len(value) < MIN_NAME_CHARS or value.lower() in GENERIC_ACTORS:
        return []
    if not any(c.isalpha() for c in value):
        return []
    words = [
        w
        for w in re.split(r"[\s,;]+", value)
        if len(w) >= MIN_TOKEN_CHARS and w.lower() not in ROLE_WORDS
    ]
    return [Sensitive(kind, source, v) for v in dict.fromkeys([value, *words])]


def _contact(value: str, source: str) -> list[Sensitive]:
    """Contact details: the whole value, each part, and phone numbers as bare digits."""
    parts = [p.strip() for p in re.split(r"[,;/\n]+", value) if len(p.strip()) >= MIN_PART_CHARS]
    found = [Sensitive("contact", source, v) for v in dict.fromkeys([value, *parts])]
    for part in parts:
        digits = re.sub(r"\D", "", part)
        if len(digits) >= MIN_PHONE_DIGITS and "@" not in part:
            found.append(Sensitive("contact", source, digits))
    return found


def _free_text(value: str, source: str) -> list[Sensitive]:
    """Notes and other free text: the whole text and each line or sentence, when distinctive.

    Short phrases of common words ("motion artifact") could match the export's own wording
    and block every export, so only texts of at least 20 characters and 3 words count; names
    inside notes are caught by the name searches.
    """
    parts = [value, *(p.strip() for p in re.split(r"[\n.!?]+", value))]
    return [Sensitive("free text", source, p) for p in dict.fromkeys(parts) if _distinctive(p)]


def _distinctive(text: str) -> bool:
    """Whether free text is long enough to be searched without false alarms."""
    return len(text) >= MIN_SENTENCE_CHARS and len(text.split()) >= MIN_SENTENCE_WORDS


def _dates(value: str, source: str) -> list[Sensitive]:
    """Calendar dates in a text value, each in the spellings exports might use."""
    found = []
    for match in ISO_DATE.finditer(value):
        year, month, day = (int(g) for g in match.groups())
        if not (1 <= month <= 12 and 1 <= day <= 31):
            continue
        for spelling in date_spellings(year, month, day):
            found.append(Sensitive("date", source, spelling))
    return found


def date_spellings(year: int, month: int, day: int) -> list[str]:
    """ISO, EDF (dd.mm.yy, dd-MMM-yyyy) and local spellings of one date."""
    y, m, d = f"{year:04d}", f"{month:02d}", f"{day:02d}"
    return [
        f"{y}-{m}-{d}",
        f"{y}/{m}/{d}",
        f"{d}.{m}.{y[2:]}",
        f"{d}.{m}.{y}",
        f"{d}-{MONTHS[month - 1]}-{y}",
        f"{d}/{m}/{y}",
        f"{m}/{d}/{y}",
    ]


# Spellings --------------------------------------------------------------------------------


def needles(items: Sequence[Sensitive]) -> list[Needle]:
    """Every searched spelling of every value (case, accents, underscores)."""
    out: dict[bytes, Needle] = {}
    for item in items:
        for text in _spellings(item.value):
            pattern = text.encode("utf-8").lower()
            if pattern and pattern not in out:
                out[pattern] = Needle(pattern, item, _wordish(text[0]), _wordish(text[-1]))
    return list(out.values())


def _spellings(value: str) -> set[str]:
    """Case and accent variants of a value, with spaces also as '_' (EDF+ subfields)."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    base = {value, value.lower(), value.upper(), value.title(), folded}
    return {v for b in base for v in (b, b.replace(" ", "_")) if v.strip()}


def _wordish(char: str) -> bool:
    """Whether a character is part of a word (then the match needs a boundary there)."""
    return char.isalnum() or char == "_"


# Scanning ---------------------------------------------------------------------------------

CHUNK_BYTES = 16 * 1024 * 1024
NEWLINE = b"\n"


def _is_word_byte(value: int) -> bool:
    """Word bytes: ASCII letters, digits, '_' and any non-ASCII byte (part of a letter)."""
    return value >= 0x80 or value == 0x5F or 0x30 <= value <= 0x39 or 0x61 <= value <= 0x7A


def scan_bytes(
    data: bytes, patterns: Sequence[Needle], base: int = 0
) -> Iterator[tuple[int, Needle]]:
    """(offset, needle) of every whole-token match in `data` (lower-cased here)."""
    low = data.lower()
    for needle in patterns:
        pos = low.find(needle.pattern)
        while pos >= 0:
            end = pos + len(needle.pattern)
            before_ok = not needle.word_start or pos == 0 or not _is_word_byte(low[pos - 1])
            after_ok = not needle.word_end or end == len(low) or not _is_word_byte(low[end])
            if before_ok and after_ok:
                yield base + pos, needle
                break
            pos = low.find(needle.pattern, pos + 1)


def scan_stream(path: Path, patterns: Sequence[Needle]) -> Iterator[tuple[str, Needle]]:
    """Matches in a text file read in chunks (with overlap), located by line number."""
    overlap = max((len(n.pattern) for n in patterns), default=0) + 1
    seen: set[bytes] = set()
    lines_before = 0
    carry = b""
    with path.open("rb") as handle:
        while True:
            block = handle.read(CHUNK_BYTES)
            data = carry + block
            last = not block
            limit = len(data) if last else max(0, len(data) - overlap)
            for pos, needle in scan_bytes(data, [n for n in patterns if n.pattern not in seen]):
                if pos < limit or last:
                    seen.add(needle.pattern)
                    line = lines_before + data.count(NEWLINE, 0, pos) + 1
                    yield f"line {line}", needle
            if last:
                return
            lines_before += data.count(NEWLINE, 0, limit)
            carry = data[limit:]
