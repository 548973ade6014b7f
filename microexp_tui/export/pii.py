"""Identifying-data guard: every value in the database that could name a person, searched for
in every file an export wrote, before the export is allowed to finish.

Values come from the identity table (name, contact, notes), operator names and free text
anywhere in the database (columns such as operator, author, actor, notes, text, reason),
participant codes, session UUIDs, every calendar date stored in any text column (in ISO,
EDF, compact, local and written spellings), and the site secret itself. The search is
case-insensitive, also tries accent-free spellings and the words of a value joined without
a space or with '_', '-' or '.' ("FirstnameLastname", "firstname_lastname"), in order and
for short values in reverse, and matches whole tokens only: a token ends at anything but a
letter or digit (in file and folder names also where a lower-case letter meets an
upper-case one), so a name never matches inside a longer word. Names are
searched whole and word by word (words of 4+ letters that are not roles or titles such
as "Operator"); contact details whole, by part, e-mail addresses also by their local part,
and phone numbers by their national digits, in any spelling (local "079 555 01 99" matches
a stored "+41 79 555 01 99", and the other way round). File and folder names are searched
like file contents (export/scan.py).

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
CONTACT = "contact"
"""Kind of a contact detail (e-mail address, phone number, address)."""
OTHER_NAME = "name"
"""Kind of a name in a `name` column of a table that does not say whose it is."""
MIN_NAME_CHARS = 3
MIN_TOKEN_CHARS = 4
MIN_CODE_CHARS = 4
MIN_PART_CHARS = 5
MIN_SENTENCE_CHARS = 20
MIN_SENTENCE_WORDS = 3
MIN_PHONE_DIGITS = 9
MIN_PHONE_CORE_DIGITS = 8
MAX_PHONE_PREFIX_DIGITS = 4
"""Digits a written number may have before the national digits ('0', '41', '0041')."""
MAX_JOINED_WORDS = 6
"""Values of at most this many words are also searched with their words joined."""
MAX_REVERSED_WORDS = 3
"""Names of at most this many words are also searched last word first ("Lastname Firstname")."""
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class Sensitive:
    """A value from the database that must never appear in an export."""

    kind: str
    source: str
    """Where it lives, e.g. `participant_identity.name (participant 3)`."""
    value: str
    phone: bool = False
    """A phone number's national digits, also matched inside any spelling of the number."""

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

    @property
    def phone(self) -> bool:
        """Whether this needle is a phone number's national digits."""
        return self.item.phone


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
    """Contact details: the whole value, each part, e-mail local parts and phone numbers."""
    parts = [p.strip() for p in re.split(r"[,;/\n]+", value) if len(p.strip()) >= MIN_PART_CHARS]
    found = [Sensitive(CONTACT, source, v) for v in dict.fromkeys([value, *parts])]
    for part in parts:
        if "@" in part:
            local = part.split("@", 1)[0].strip()
            if len(local) >= MIN_PART_CHARS:
                found.append(Sensitive(CONTACT, source, local))
            continue
        digits = re.sub(r"\D", "", part)
        if len(digits) >= MIN_PHONE_DIGITS:
            found.append(Sensitive(CONTACT, source, digits))
            found += [Sensitive(CONTACT, source, c, phone=True) for c in phone_cores(part)]
    return found


def phone_cores(number: str) -> list[str]:
    """The national digits of a phone number, without country code or trunk '0'.

    The country code's length is not known here, so an international number yields one
    candidate per length (1-3 digits); candidates shorter than 8 digits are dropped.
    """
    digits = re.sub(r"\D", "", number)
    if len(digits) < MIN_PHONE_DIGITS:
        return []
    international = number.lstrip().startswith("+") or digits.startswith("00")
    if international:
        body = digits[2:] if digits.startswith("00") else digits
        cores = [body[length:] for length in (1, 2, 3)]
    else:
        cores = [digits.lstrip("0")]
    return [core for core in dict.fromkeys(cores) if len(core) >= MIN_PHONE_CORE_DIGITS]


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
    """ISO, EDF (dd.mm.yy, dd-MMM-yyyy), compact, local and written spellings of one date."""
    y, m, d = f"{year:04d}", f"{month:02d}", f"{day:02d}"
    short, name = MONTHS[month - 1], MONTH_NAMES[month - 1]
    return [
        f"{y}-{m}-{d}",
        f"{y}/{m}/{d}",
        f"{y}{m}{d}",
        f"{d}.{m}.{y[2:]}",
        f"{d}.{m}.{y}",
        f"{d}-{short}-{y}",
        f"{d}/{m}/{y}",
        f"{m}/{d}/{y}",
        f"{d}-{m}-{y}",
        f"{day}.{month}.{y}",
        f"{day}/{month}/{y}",
        f"{month}/{day}/{y}",
        f"{day} {name} {y}",
        f"{day} {short.title()} {y}",
        f"{name} {day}, {y}",
        f"{short.title()} {day}, {y}",
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
    """Case and accent variants of a value, also with its words joined ('', '_', '-', '.')."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    base = {value, value.lower(), value.upper(), value.title(), folded}
    spellings = set(base)
    for variant in base:
        words = [w for w in SEPARATORS.split(variant) if w]
        if 1 < len(words) <= MAX_JOINED_WORDS:
            spellings.update(joiner.join(words) for joiner in JOINERS)
        if 1 < len(words) <= MAX_REVERSED_WORDS:
            spellings.update(joiner.join(reversed(words)) for joiner in JOINERS)
    return {v for v in spellings if v.strip()}


SEPARATORS = re.compile(r"[\s_.\-']+")
"""What may separate the words of a name, a code or a date when a person writes it."""
JOINERS = ("", " ", "_", "-", ".")
"""How the words of a value may be joined in an export (file names join them)."""


def _wordish(char: str) -> bool:
    """Whether a character is part of a word (then the match needs a boundary there)."""
    return char.isalnum()


# Scanning ---------------------------------------------------------------------------------

CHUNK_BYTES = 16 * 1024 * 1024
NEWLINE = b"\n"


def _is_word_byte(value: int) -> bool:
    """Word bytes: ASCII letters, digits and any non-ASCII byte (part of a letter).

    '_' separates words here: file names and EDF+ fields join words with it.
    """
    return value >= 0x80 or 0x30 <= value <= 0x39 or 0x61 <= value <= 0x7A


def _camel_boundary(data: bytes, index: int) -> bool:
    """Whether a word starts at `index` by case alone ('...Firstname|Lastname...')."""
    return 0 < index < len(data) and _is_upper(data[index]) and _is_lower(data[index - 1])


def _is_upper(value: int) -> bool:
    """ASCII upper-case letter."""
    return 0x41 <= value <= 0x5A


def _is_lower(value: int) -> bool:
    """ASCII lower-case letter."""
    return 0x61 <= value <= 0x7A


def _starts_word(data: bytes, low: bytes, pos: int, camel: bool) -> bool:
    """Whether a match may start at `pos` (a separator, or with `camel` a case change)."""
    if pos == 0 or not _is_word_byte(low[pos - 1]):
        return True
    return camel and _camel_boundary(data, pos)


def _ends_word(data: bytes, low: bytes, end: int, camel: bool) -> bool:
    """Whether a match may end before `end` (a separator, or with `camel` a case change)."""
    if end == len(low) or not _is_word_byte(low[end]):
        return True
    return camel and _camel_boundary(data, end)


PHONE_RUN = re.compile(rb"(?<![\d.])\+?\d(?:[ \-/()]{0,3}\d){7,}(?!\d|\.\d)")
"""A written number of 8+ digits with phone-like separators, not part of a decimal number."""


def _phone_matches(
    data: bytes, patterns: Sequence[Needle], base: int
) -> Iterator[tuple[int, Needle]]:
    """Phone numbers written in any spelling whose national digits match a stored number."""
    phones = [n for n in patterns if n.phone]
    if not phones:
        return
    found: set[bytes] = set()
    for run in PHONE_RUN.finditer(data):
        digits = re.sub(rb"\D", b"", run.group())
        for needle in phones:
            extra = len(digits) - len(needle.pattern)
            fits = 0 <= extra <= MAX_PHONE_PREFIX_DIGITS and digits.endswith(needle.pattern)
            if fits and needle.pattern not in found:
                found.add(needle.pattern)
                yield base + run.start(), needle
        if len(found) == len(phones):
            return


def scan_bytes(
    data: bytes, patterns: Sequence[Needle], base: int = 0, *, camel: bool = False
) -> Iterator[tuple[int, Needle]]:
    """(offset, needle) of every whole-token match in `data` (lower-cased here).

    A token ends at a separator (anything but a letter or digit) and, with `camel` (file
    and folder names, where a person's words get glued), also where a lower-case letter
    is followed by an upper-case one; phone numbers match by their digits. Contents are
    scanned without `camel`: the export's own keys ("PowerLineFrequency") would match
    names that are also words.
    """
    low = data.lower()
    for needle in patterns:
        pos = low.find(needle.pattern)
        while pos >= 0:
            end = pos + len(needle.pattern)
            before_ok = not needle.word_start or _starts_word(data, low, pos, camel)
            after_ok = not needle.word_end or _ends_word(data, low, end, camel)
            if before_ok and after_ok:
                yield base + pos, needle
                break
            pos = low.find(needle.pattern, pos + 1)
    yield from _phone_matches(data, patterns, base)


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
