"""The agency registry: one canonical row per agency, its aliases, and the links to it.

Every name the store holds for a body — a plan's issuer, an assignee, a
coordinator, a participant, a cited document's issuer, a deadline's assignees —
is resolved to one row of ``agencies``:

- the name as written is normalized (``vocab.normalize_name``: abbreviations
  written out, tone placement unified), then
- its level (trung ương / tỉnh / huyện / xã) and locality are read from the
  place it names ("Ủy ban nhân dân tỉnh Lào Cai"), from a bare unit word
  resolved through the issuer's own locality ("UBND quận" in a plan of Ủy ban
  nhân dân Quận 12 is Ủy ban nhân dân Quận 12), or from the head word and the
  issuer ("Sở Nội vụ" in a plan of Ủy ban nhân dân tỉnh Bình Định is Sở Nội vụ
  tỉnh Bình Định);
- the canonical key is the folded comparison form of the canonical name, so
  case, tone placement, abbreviations and đ/d never make two rows.

The vocabulary (levels, unit words, head words, prefixes) lives in
``kehoach/store/data/agencies.json`` with examples the tests run.

An agency's id is derived from its key (a hash), so the same agency gets the
same id in every database and every worker, and a rebuild keeps ids stable.

Kinds: ``agency`` (one body), ``group`` (several bodies named together: "UBND
các huyện, thị xã, thành phố"), ``person`` (a named person) and ``other`` (a
post or team the vocabulary does not know as a body: "Tổ trưởng tổ công tác");
persons and others belong to their plan's issuer (``parent_id``).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Iterable, Optional, Sequence

from kehoach.store.params import json_list
from kehoach.store.keys import fold

LEVELS = ("trung_uong", "tinh", "huyen", "xa")


# ------------------------------------------------------------------ vocabulary

@lru_cache(maxsize=None)
def vocabulary() -> dict:
    """The parsed ``store/data/agencies.json`` (cached; treat as read-only)."""
    path = resources.files("kehoach").joinpath("store", "data", "agencies.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _ci(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


@lru_cache(maxsize=None)
def _units() -> tuple[tuple[str, dict], ...]:
    # longest first: "thị xã" before "xã"
    return tuple(sorted(((_ci(e["word"]), e) for e in vocabulary()["units"]), key=lambda p: -len(p[0])))


@lru_cache(maxsize=None)
def _units_by_first() -> dict[str, tuple[tuple[str, dict], ...]]:
    """``_units()`` by first character, longest first within each."""
    out: dict[str, list[tuple[str, dict]]] = {}
    for word, entry in _units():
        if not word:  # it would match wherever a word starts: not by its first letter
            raise ValueError("an empty unit word in the agency vocabulary")
        out.setdefault(word[:1], []).append((word, entry))
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=None)
def _heads() -> tuple[tuple[str, dict], ...]:
    return tuple(sorted(((_ci(e["head"]), e) for e in vocabulary()["heads"]["entries"]), key=lambda p: -len(p[0])))


@lru_cache(maxsize=None)
def _committees() -> tuple[tuple[str, dict], ...]:
    return tuple((_ci(e["word"]), e) for e in vocabulary()["party_committees"]["entries"])


@lru_cache(maxsize=None)
def _central_cities() -> frozenset[str]:
    return frozenset(fold(n) for n in vocabulary()["central_cities"]["names"])


@lru_cache(maxsize=None)
def _words_of(section: str, field: str) -> tuple[str, ...]:
    return tuple(sorted((_ci(e[field]) for e in vocabulary()[section]["entries"]), key=len, reverse=True))


@lru_cache(maxsize=None)
def _bounded(word_ci: str) -> re.Pattern:
    """``word_ci`` as a whole word (vocabulary words only: a bounded set)."""
    return re.compile(rf"(?<!\w){re.escape(word_ci)}(?!\w)")


def _starts_with(text_ci: str, prefix_ci: str) -> bool:
    return text_ci.startswith(prefix_ci) and (len(text_ci) == len(prefix_ci) or not text_ci[len(prefix_ci)].isalnum())


def _starts_at(text_ci: str, i: int, prefix_ci: str) -> bool:
    """``_starts_with(text_ci[i:], prefix_ci)`` without copying the rest of the text."""
    end = i + len(prefix_ci)
    return text_ci.startswith(prefix_ci, i) and (end == len(text_ci) or not text_ci[end].isalnum())


# ------------------------------------------------------------------ resolution

@dataclass(frozen=True)
class Context:
    """What a plan's issuer tells about the names in it.

    Attributes:
        localities: ``(level, locality)`` pairs known for the issuer, e.g.
            ``(("tinh", "tỉnh Bình Định"),)``.
        issuer: the issuer's canonical name (internal units and persons belong to it).
        issuer_id: the issuer's agency id.
        issuer_head: the head word the issuer's name begins with ("sở", "ủy ban nhân dân").
        issuer_level: the issuer's level.
    """

    localities: tuple[tuple[str, str], ...] = ()
    issuer: Optional[str] = None
    issuer_id: Optional[str] = None
    issuer_head: Optional[str] = None
    issuer_level: Optional[str] = None

    def locality(self, level: Optional[str]) -> Optional[str]:
        for lv, loc in self.localities:
            if lv == level:
                return loc
        return None

    def most_specific(self) -> tuple[Optional[str], Optional[str]]:
        known = dict(self.localities)
        for lv in reversed(LEVELS):
            if lv in known:
                return lv, known[lv]
        return None, None


NO_CONTEXT = Context()


@dataclass(frozen=True)
class Agency:
    """A resolved name: the registry row it belongs to."""

    id: str
    key: str
    name: str
    kind: str
    level: Optional[str]
    locality: Optional[str]
    head: Optional[str] = None
    parent_id: Optional[str] = None


def agency_id(key: str) -> str:
    """The id of the agency with this key: 16 hex digits of its sha1 (stable across databases)."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


@lru_cache(maxsize=1 << 14)
def name_key(name: str) -> str:
    """The folded comparison form used for agency keys, alias keys and ``--agency`` input.

    Abbreviations are written out, tone placement unified, diacritics and case
    dropped, đ -> d, punctuation to spaces.

    Example:
        >>> name_key("UBND tỉnh Lào Cai") == name_key("Ủy ban nhân dân Tỉnh Lào Cai")
        True
    """
    from kehoach.vocab import compare_key

    key = " " + (fold(compare_key(name)) or "") + " "
    for source, target in _synonyms():
        key = key.replace(source, target)
    return key.strip()


@lru_cache(maxsize=None)
def _synonyms() -> tuple[tuple[str, str], ...]:
    from kehoach.vocab import compare_key

    return tuple((f" {fold(compare_key(e['from']))} ", f" {fold(compare_key(e['to']))} ")
                 for e in vocabulary()["key_synonyms"]["entries"])


def _clean(text: str) -> str:
    from kehoach.vocab import normalize_name

    s = normalize_name(text)
    s = re.sub(r"\s+", " ", s).strip()
    s = s.strip(" \t\"'“”‘’*.;:,-–")
    return s


@dataclass
class _Place:
    start: int      # offset of the unit word in the name
    end: int        # end of the place (unit word + its name, if any)
    unit: str       # the unit word as written
    entry: dict     # its vocabulary entry
    proper: str     # the place's own name ("Lào Cai", "12"), "" when bare


_WORD = re.compile(r"[^\s,;()]+")


def _places(name: str) -> list[_Place]:
    """Unit words in ``name`` and the capitalised words (or numbers) that follow them."""
    ci = _ci(name)
    exceptions = _words_of("unit_exceptions", "phrase")
    out: list[_Place] = []
    i = 0
    by_first = _units_by_first()
    while i < len(name):
        if i > 0 and name[i - 1].isalnum():
            i += 1
            continue
        matched = None
        for word, entry in by_first.get(ci[i:i + 1], ()):
            if _starts_at(ci, i, word):
                matched = (word, entry)
                break
        if matched is None or any(_starts_at(ci, i, ex) for ex in exceptions):
            i += 1
            continue
        word, entry = matched
        j = i + len(word)
        proper_words: list[str] = []
        k = j
        while True:
            m = _WORD.match(name, k + 1) if k < len(name) and name[k] == " " else None
            if not m:
                break
            w = m.group()
            if not (w[0].isupper() or w[0].isdigit()) or _is_unit_word(w):
                break
            proper_words.append(w)
            k = m.end()
        out.append(_Place(i, k if proper_words else j, name[i:j], entry, " ".join(proper_words)))
        i = k if proper_words else j
    return out


def _is_unit_word(word: str) -> bool:
    w = _ci(word)
    return any(w == unit for unit, _ in _units())


def _place_level(place: _Place) -> str:
    entry = place.entry
    if entry.get("central_level") and place.proper and fold(place.proper) in _central_cities():
        return entry["central_level"]
    return entry["level"]


def _place_text(place: _Place) -> str:
    """"tỉnh Lào Cai", "Quận 12", "Thành phố Hồ Chí Minh": the unit word cased by convention."""
    unit = place.unit.lower()
    if place.proper[:1].isdigit() or (place.entry.get("central_level") and fold(place.proper) in _central_cities()):
        unit = unit[:1].upper() + unit[1:]
    return f"{unit} {place.proper}" if place.proper else unit


def _proper_of(locality: str) -> str:
    """"tỉnh Bình Định" -> "Bình Định"."""
    for word, _ in _units():
        if _starts_with(_ci(locality), word):
            return locality[len(word):].strip()
    return locality


def _head_of(name: str) -> Optional[tuple[str, dict]]:
    ci = _ci(name)
    for head, entry in _heads():
        if _starts_with(ci, head):
            return head, entry
    return None


def _strip_prefixes(name: str) -> str:
    """"Lãnh đạo Sở Nội vụ" -> "Sở Nội vụ"; only when a body's name follows."""
    prefixes = _words_of("position_prefixes", "prefix")
    changed = True
    while changed:
        changed = False
        ci = _ci(name)
        for p in prefixes:
            if _starts_with(ci, p):
                rest = name[len(p):].strip(" .,:")
                if rest and (_head_of(rest) or _is_group_start(rest)):
                    name, changed = rest, True
                    break
    return name


def _is_group_start(name: str) -> bool:
    ci = _ci(name)
    return any(_starts_with(ci, w) for w in _words_of("group_markers", "word"))


def _is_group(name: str) -> bool:
    if ";" in name:
        return True
    ci = _ci(name)
    for w in _words_of("group_markers", "word"):
        if _bounded(w).search(ci):
            return True
    if sum(1 for p in _places(name) if p.proper) >= 2:  # "UBND huyện Tuy Phước, thị xã Hoài Nhơn"
        return True
    parts = [_strip_prefixes(p.strip()) for p in re.split(r",|\bvà\b", name) if p.strip()]
    return sum(1 for p in parts if _head_of(p)) >= 2


def _is_person(name: str) -> bool:
    ci = _ci(name)
    if any(_starts_with(ci, w) for w in _words_of("person_markers", "word")):
        return True
    # a personal name: two to five capitalised words, nothing else ("Vũ Việt Linh")
    words = name.split()
    return (2 <= len(words) <= 5 and all(w[:1].isupper() and w.isalpha() for w in words)
            and not _places(name) and _head_of(name) is None)


def _committee(name: str) -> Optional[tuple[int, int, dict]]:
    ci = _ci(name)
    for word, entry in _committees():
        m = _bounded(word).search(ci)
        if m:
            return m.start(), m.end(), entry
    return None


def _make(key: str, name: str, kind: str, level: Optional[str], locality: Optional[str],
          head: Optional[str], parent_id: Optional[str] = None) -> Agency:
    return Agency(agency_id(key), key, name, kind, level, locality, head, parent_id)


# resolution is a pure function of its (hashable, frozen) arguments, and an archive names the same
# bodies over and over: cached, it costs a dict lookup per name after the first
@lru_cache(maxsize=1 << 14)
def resolve(text: Optional[str], context: Context = NO_CONTEXT, normalized: Optional[str] = None) -> Optional[Agency]:
    """The registry row a name belongs to.

    Args:
        text: the name as written.
        context: what the plan's issuer tells (see ``issuer_context``).
        normalized: the extractor's ``*_normalized`` form, preferred when given.

    Returns:
        The resolved ``Agency``; None for an empty name.

    Example:
        >>> ctx = issuer_context(resolve("Ủy ban nhân dân tỉnh Bình Định"))
        >>> resolve("Sở Nội vụ", ctx).name
        'Sở Nội vụ tỉnh Bình Định'
    """
    raw = (normalized or text or "").strip()
    if not raw:
        return None
    name = _clean(raw)
    if not name:
        return None
    core = _strip_prefixes(name)
    head = _head_of(core)
    head_word = head[0] if head else None
    head_entry = head[1] if head else {}

    if head is None and _is_person(core):
        return _belongs_to_issuer(core, "person", context)
    if _is_group(core):
        return _group(core, head_word, head_entry, context)
    if head is None:
        return _belongs_to_issuer(core, "other", context)

    if _ci(core) == head_word and context.issuer and context.issuer_head == head_word:
        # "Giám đốc Sở" in a plan of a Sở, "Đoàn kiểm tra" in the team's own plan: the issuer itself
        return _make(name_key(context.issuer), context.issuer, "agency", context.issuer_level,
                     context.most_specific()[1], head_word)
    internal = head_entry.get("internal") or (
        context.issuer_head is not None
        and any(_starts_with(context.issuer_head, _ci(h)) for h in head_entry.get("internal_under", ())))
    if internal and context.issuer:
        canonical = f"{core} - {context.issuer}"
        level, locality = context.issuer_level, context.most_specific()[1]
        return _make(name_key(canonical), canonical, "agency", level, locality, head_word, context.issuer_id)

    canonical, level, locality = _place_agency(core, head_entry, context)
    return _make(name_key(canonical), canonical, "agency", level, locality, head_word)


def _place_agency(core: str, head_entry: dict, context: Context) -> tuple[str, Optional[str], Optional[str]]:
    """The canonical name, level and locality of one body."""
    places = _places(core)
    if places:
        place = places[-1]  # the body's own unit: "Văn phòng UBND tỉnh" -> tỉnh
        level = _place_level(place)
        if place.proper:
            return core, level, _place_text(place)
        if place.unit.lower() == "thành phố":
            # a bare "Thành phố" is the issuer's own city only where the issuer is a
            # district-level city; in a quận's or huyện's plan it is the province-level
            # city above it ("Ủy ban nhân dân Thành phố" in seed 001, Quận 12)
            district = context.locality("huyen")
            own_city = district is not None and _ci(district).startswith("thành phố")
            level = "huyen" if own_city else "tinh"
        known = context.locality(level)
        if known is None:
            return core, level, None
        # "UBND quận" -> "Ủy ban nhân dân Quận 12": the bare unit word becomes the place
        return core[:place.start] + known + core[place.end:], level, known
    committee = _committee(core)
    if committee is not None:
        start, end, entry = committee
        level = entry["level"]
        known = context.locality(level)
        if known is None:
            return core, level, None
        proper = _proper_of(known)
        # "Quận ủy" + "Quận 12" -> "Quận ủy Quận 12"; "Tỉnh ủy" + "tỉnh Lào Cai" -> "Tỉnh ủy Lào Cai"
        return core[:end] + " " + (known if proper[:1].isdigit() else proper) + core[end:], level, known
    level = head_entry.get("level")
    if level == "trung_uong" or head_entry.get("no_locality"):
        return core, level, None
    if level is None:
        level = context.issuer_level
    known = context.locality(level) if level else None
    if known is None:
        return core, level, None
    if fold(_proper_of(known)) in fold(core):  # "Báo Bình Định" already names its place
        return core, level, known
    return f"{core} {known}", level, known


def _group(core: str, head_word: Optional[str], head_entry: dict, context: Context) -> Agency:
    """Several bodies named together: one row, in the issuer's locality."""
    places = _places(core)
    named = [p for p in places if p.proper]
    if named and len(named) == len(places):
        level, locality = _place_level(named[-1]), _place_text(named[-1])
    elif places and context.locality(_place_level(places[-1])) and places[-1].end == len(core):
        # "Ban Quản lý … các Khu công nghiệp tỉnh": the closing bare unit is the issuer's
        last = places[-1]
        level = _place_level(last)
        locality = context.locality(level)
        canonical = core[:last.start] + locality
        return _make(name_key(canonical), canonical, "group", level, locality, head_word)
    else:
        level = _place_level(places[-1]) if places else head_entry.get("level") or context.issuer_level
        locality = context.most_specific()[1]
    canonical = core if locality is None or fold(_proper_of(locality)) in fold(core) else f"{core} ({locality})"
    return _make(name_key(canonical), canonical, "group", level, locality, head_word)


def _belongs_to_issuer(core: str, kind: str, context: Context) -> Agency:
    """A person or an unknown post: named in its plan's issuer, so keyed with it."""
    key = name_key(core) + (f" @ {name_key(context.issuer)}" if context.issuer else "")
    level, locality = context.most_specific()
    return _make(key, core, kind, context.issuer_level if context.issuer else level, locality, None,
                 context.issuer_id)


def issuer_context(issuer: Optional[Agency], place: Optional[str] = None) -> Context:
    """The context a plan's issuer gives to the names in the plan.

    Args:
        issuer: the resolved issuer (None when the plan has none).
        place: the date line's place ("Bình Định"), used when the issuer names
            no place of its own ("UBND tỉnh").
    """
    if issuer is None:
        return NO_CONTEXT
    localities: list[tuple[str, str]] = []
    if issuer.level in LEVELS and issuer.locality:
        localities.append((issuer.level, issuer.locality))
    elif issuer.level in LEVELS and issuer.level != "trung_uong" and place and place.strip():
        # the place is a name without a unit word: give it the issuer's unit
        unit = {"tinh": "tỉnh", "huyen": "huyện", "xa": "xã"}[issuer.level]
        p = place.strip()
        loc = p if _is_unit_prefixed(p) else f"{unit} {p}"
        localities.append((issuer.level, loc))
    return Context(tuple(localities), issuer.name, issuer.id, _ci(issuer.head) if issuer.head else None,
                   issuer.level)


def _is_unit_prefixed(text: str) -> bool:
    ci = _ci(text)
    return any(_starts_with(ci, u) for u, _ in _units())


def resolve_issuer(issuer: Optional[str], normalized: Optional[str] = None,
                   place: Optional[str] = None) -> tuple[Optional[Agency], Context]:
    """Resolve a plan's issuer and the context it gives; a bare unit takes the place line.

    "UBND tỉnh" with place "Bình Định" is Ủy ban nhân dân tỉnh Bình Định.
    """
    agency = resolve(issuer, NO_CONTEXT, normalized)
    if agency is None:
        return None, NO_CONTEXT
    if agency.locality is None and agency.level in ("tinh", "huyen", "xa") and place and place.strip():
        ctx = issuer_context(agency, place)
        agency = resolve(issuer, ctx, normalized)
    return agency, issuer_context(agency, place)


# ------------------------------------------------------------------ linking rows in the store

class _Registry:
    """Agencies and aliases found while linking, written in bulk at the end."""

    def __init__(self) -> None:
        self.agencies: dict[str, Agency] = {}
        self.aliases: dict[tuple[str, str], str] = {}

    def add(self, agency: Optional[Agency], written: Optional[str]) -> Optional[str]:
        if agency is None:
            return None
        self.agencies.setdefault(agency.id, agency)
        for alias in (written, agency.name):
            if alias and alias.strip():
                key = name_key(alias)
                if key:
                    self.aliases.setdefault((agency.id, key), alias.strip())
        return agency.id

    def write(self, con) -> None:
        from kehoach.store.writer import RowSink

        if isinstance(con, RowSink):  # bulk ingest: the batch writer inserts these, ignoring known ones
            con.add("agencies", ("id", "key", "name", "kind", "level", "locality", "head", "parent_id",
                                 "name_folded"),
                    [(a.id, a.key, a.name, a.kind, a.level, a.locality, a.head, a.parent_id, fold(a.name))
                     for a in self.agencies.values()])
            con.add("agency_aliases", ("agency_id", "alias_key", "alias"),
                    [(a, k, v) for (a, k), v in self.aliases.items()])
            return
        if self.agencies:
            rows = list(self.agencies.values())
            con.execute(
                "INSERT INTO agencies (id, key, name, kind, level, locality, head, parent_id, name_folded) "
                "SELECT * FROM (SELECT "
                """unnest(from_json(?, '["VARCHAR"]')) AS id, unnest(from_json(?, '["VARCHAR"]')), """
                """unnest(from_json(?, '["VARCHAR"]')), unnest(from_json(?, '["VARCHAR"]')), """
                """unnest(from_json(?, '["VARCHAR"]')), unnest(from_json(?, '["VARCHAR"]')), """
                """unnest(from_json(?, '["VARCHAR"]')), unnest(from_json(?, '["VARCHAR"]')), """
                """unnest(from_json(?, '["VARCHAR"]'))) new ON CONFLICT DO NOTHING""",
                [json_list(col) for col in (
                    [a.id for a in rows], [a.key for a in rows], [a.name for a in rows], [a.kind for a in rows],
                    [a.level for a in rows], [a.locality for a in rows], [a.head for a in rows],
                    [a.parent_id for a in rows], [fold(a.name) for a in rows])])
        if self.aliases:
            items = list(self.aliases.items())
            con.execute(
                "INSERT INTO agency_aliases (agency_id, alias_key, alias) "
                """SELECT * FROM (SELECT unnest(from_json(?, '["VARCHAR"]')) AS agency_id, """
                """unnest(from_json(?, '["VARCHAR"]')) AS alias_key, """
                """unnest(from_json(?, '["VARCHAR"]')) AS alias) new ON CONFLICT DO NOTHING""",
                [json_list([a for (a, _), _ in items]), json_list([k for (_, k), _ in items]),
                 json_list([v for _, v in items])])


@dataclass
class RecordLinks:
    """The agency ids of one record's names, in the order the writer stores them."""

    registry: _Registry
    issuer: Optional[str]
    assignments: list[Optional[str]]
    coordinators: list[list[Optional[str]]]
    participants: list[Optional[str]]
    legal_bases: list[Optional[str]]
    references: list[Optional[str]]
    deadlines: list[list[Optional[str]]]

    def write(self, con) -> None:
        """Add the agencies and aliases met in the record (existing rows are kept)."""
        self.registry.write(con)


def record_links(record) -> RecordLinks:
    """Resolve every name of a ``PlanRecord``; pure (no database), so the writer can
    insert the ids with the rows instead of updating them afterwards."""
    registry = _Registry()
    issuer, ctx = resolve_issuer(record.issuer, record.issuer_normalized, record.place)
    cache: dict[tuple, Optional[str]] = {}

    def link(written: Optional[str], normalized: Optional[str] = None) -> Optional[str]:
        k = (written, normalized)
        if k not in cache:
            cache[k] = registry.add(resolve(written, ctx, normalized), written)
        return cache[k]

    return RecordLinks(
        registry=registry,
        issuer=registry.add(issuer, record.issuer),
        assignments=[link(a.assignee, a.assignee_normalized) for a in record.assignments],
        coordinators=[[link(name, a.coordinators_normalized[j] if j < len(a.coordinators_normalized) else None)
                       for j, name in enumerate(a.coordinators)] for a in record.assignments],
        participants=[link(p.name, p.name_normalized) for p in record.participants],
        legal_bases=[link(c.issuer, c.issuer_normalized) if c.issuer else None for c in record.legal_bases],
        references=[link(c.issuer, c.issuer_normalized) if c.issuer else None for c in record.references],
        deadlines=[[link(n) for n in d.assignees] for d in record.deadlines],
    )


def _update(con, table: str, key_columns: Sequence[str], key_types: Sequence[str], target: str,
            target_type: str, rows: list[tuple]) -> None:
    """``UPDATE table SET target = v`` for many rows in one statement (values bound as lists)."""
    if not rows:
        return
    cols = [*key_columns, "v"]
    types = [*key_types, target_type]
    # each column one JSON-array parameter (kehoach.store.params.json_list); "VARCHAR[]" elements are arrays
    specs = ['[["%s"]]' % t[:-2] if t.endswith("[]") else '["%s"]' % t for t in types]
    select = ", ".join(f"unnest(from_json(?, '{spec}')) AS {c}" for c, spec in zip(cols, specs))
    match = " AND ".join(f"{table}.{c} = m.{c}" for c in key_columns)
    con.execute(f"UPDATE {table} SET {target} = m.v FROM (SELECT {select}) m WHERE {match}",
                [json_list(r[i] for r in rows) for i in range(len(cols))])


def link_documents(con, doc_ids: Iterable[str]) -> int:
    """Resolve every name stored for these documents and set their agency links.

    Call it inside the transaction that stored the documents (``store_record``
    does); a batch writer calls it once per batch. Idempotent.

    Returns:
        The number of names linked.
    """
    ids = list(dict.fromkeys(doc_ids))
    if not ids:
        return 0
    registry = _Registry()
    cache: dict[tuple, Optional[str]] = {}

    def link(written: Optional[str], normalized: Optional[str], ctx: Context) -> Optional[str]:
        k = (written, normalized, ctx)
        if k not in cache:
            cache[k] = registry.add(resolve(written, ctx, normalized), written)
        return cache[k]

    contexts: dict[str, Context] = {}
    doc_rows = []
    # the documents' ids: one JSON-array parameter (kehoach.store.params.json_list)
    ids_json = json_list(ids)
    for did, issuer, issuer_norm, place in con.execute(
            "SELECT id, issuer, issuer_normalized, place FROM documents "
            """WHERE id IN (SELECT unnest(from_json(?, '["VARCHAR"]')))""", [ids_json]).fetchall():
        agency, ctx = resolve_issuer(issuer, issuer_norm, place)
        contexts[did] = ctx
        doc_rows.append((did, registry.add(agency, issuer)))
    ctx_of = lambda did: contexts.get(did, NO_CONTEXT)  # noqa: E731

    assignment_rows = [(aid, link(name, norm, ctx_of(did))) for aid, did, name, norm in con.execute(
        "SELECT id, doc_id, assignee, assignee_normalized FROM assignments "
        """WHERE doc_id IN (SELECT unnest(from_json(?, '["VARCHAR"]')))""", [ids_json]).fetchall()]
    coordinator_rows = [(aid, ordinal, link(name, norm, ctx_of(did))) for aid, ordinal, did, name, norm in con.execute(
        "SELECT assignment_id, ordinal, doc_id, name, name_normalized FROM assignment_coordinators "
        """WHERE doc_id IN (SELECT unnest(from_json(?, '["VARCHAR"]')))""", [ids_json]).fetchall()]
    participant_rows = [(did, ordinal, link(name, norm, ctx_of(did))) for did, ordinal, name, norm in con.execute(
        "SELECT doc_id, ordinal, name, name_normalized FROM participants "
        """WHERE doc_id IN (SELECT unnest(from_json(?, '["VARCHAR"]')))""", [ids_json]).fetchall()]
    citation_rows = [(did, kind, ordinal, link(name, norm, ctx_of(did)))
                     for did, kind, ordinal, name, norm in con.execute(
                         "SELECT doc_id, kind, ordinal, issuer, issuer_normalized FROM citations "
                         """WHERE doc_id IN (SELECT unnest(from_json(?, '["VARCHAR"]'))) AND issuer IS NOT NULL""",
                         [ids_json]).fetchall()]
    deadline_rows = [(did, ordinal, [link(n, None, ctx_of(did)) for n in (names or [])])
                     for did, ordinal, names in con.execute(
                         "SELECT doc_id, ordinal, assignees FROM deadlines "
                         """WHERE doc_id IN (SELECT unnest(from_json(?, '["VARCHAR"]')))""", [ids_json]).fetchall()]

    registry.write(con)
    _update(con, "documents", ("id",), ("VARCHAR",), "issuer_agency_id", "VARCHAR", doc_rows)
    _update(con, "assignments", ("id",), ("VARCHAR",), "agency_id", "VARCHAR", assignment_rows)
    _update(con, "assignment_coordinators", ("assignment_id", "ordinal"), ("VARCHAR", "INTEGER"), "agency_id",
            "VARCHAR", coordinator_rows)
    _update(con, "participants", ("doc_id", "ordinal"), ("VARCHAR", "INTEGER"), "agency_id", "VARCHAR",
            participant_rows)
    _update(con, "citations", ("doc_id", "kind", "ordinal"), ("VARCHAR", "VARCHAR", "INTEGER"),
            "issuer_agency_id", "VARCHAR", citation_rows)
    _update(con, "deadlines", ("doc_id", "ordinal"), ("VARCHAR", "INTEGER"), "assignee_agency_ids",
            "VARCHAR[]", deadline_rows)
    return (len(doc_rows) + len(assignment_rows) + len(coordinator_rows) + len(participant_rows)
            + len(citation_rows) + sum(len(r[2]) for r in deadline_rows))


def rebuild(con, batch: int = 500) -> int:
    """Re-resolve every stored name (after a vocabulary change); ids stay stable.

    Agencies no longer named anywhere are dropped. Runs in one transaction.

    Returns:
        The number of names linked.
    """
    con.begin()
    try:
        con.execute("DELETE FROM agency_aliases")
        con.execute("DELETE FROM agencies")
        # the lookup tables (kehoach.store.optimize) hold agency ids: rebuilt by the next optimize
        con.execute("DELETE FROM lookup_state")
        ids = [r[0] for r in con.execute("SELECT id FROM documents ORDER BY id").fetchall()]
        n = 0
        for i in range(0, len(ids), batch):
            n += link_documents(con, ids[i:i + batch])
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return n


def _migration_backfill(con) -> None:
    """Migration step: link the documents stored before the registry existed."""
    ids = [r[0] for r in con.execute("SELECT id FROM documents").fetchall()]
    for i in range(0, len(ids), 500):
        link_documents(con, ids[i:i + 500])


# ------------------------------------------------------------------ lookups

def match_agencies(con, text: str, contains: bool = False) -> list[str]:
    """Ids of the agencies ``text`` names.

    Case, diacritics, đ/d, tone placement and abbreviations are ignored:
    "ubnd quan 12", "Ủy ban nhân dân Quận 12" and "UBND Quận 12" reach the
    same row.

    Args:
        contains: False (for filters): an agency whose canonical name or one of
            whose written names is ``text``, or whose canonical name is ``text``
            followed by its place ("Sở Nội vụ" -> Sở Nội vụ tỉnh Bình Định, Sở
            Nội vụ tỉnh Lào Cai; not Phòng … - Sở Nội vụ …). True (for browsing):
            any agency one of whose names contains ``text`` as whole words.

    Raises:
        ValueError: ``text`` has no letters or digits.
    """
    needle = name_key(text)
    if not needle:
        raise ValueError(f"agency {text!r} has no letters or digits to match")
    if contains:
        # contains(needle) first: cheap, and only its rows pay for the padded whole-word test
        return [r[0] for r in con.execute(
            "SELECT DISTINCT agency_id FROM agency_aliases "
            "WHERE contains(alias_key, ?) AND contains(' ' || alias_key || ' ', ?) "
            "UNION SELECT id FROM agencies WHERE kind IN ('agency', 'group') "
            "AND contains(key, ?) AND contains(' ' || key || ' ', ?)",
            [needle, f" {needle} ", needle, f" {needle} "]).fetchall()]
    return [r[0] for r in con.execute(
        "SELECT DISTINCT agency_id FROM agency_aliases WHERE alias_key = ? "
        "UNION SELECT id FROM agencies WHERE key = ? "
        "OR (kind IN ('agency', 'group') AND starts_with(key, ?) AND locality IS NOT NULL)",
        [needle, needle, needle + " "]).fetchall()]
