"""Shared fixtures: gold-derived PlanRecords and an in-memory store."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, settings

from kehoach.ingest.base import SourceText
from kehoach.pipeline import file_sha256
from kehoach.schema import PlanRecord

FIXTURES = Path(__file__).parent / "fixtures"
SEED_TEXTS = FIXTURES / "seeds"
SEED_GOLD = FIXTURES / "gold" / "seeds"
SEED_IDS = sorted(p.stem for p in SEED_GOLD.glob("*.json"))

# Property tests (tests/test_robustness.py): a moderate search by default so the suite
# stays fast; HYPOTHESIS_PROFILE=ci searches longer. No deadline: the first example
# pays for loading spaCy.
settings.register_profile("kehoach", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("ci", parent=settings.get_profile("kehoach"), max_examples=300)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "kehoach"))


def gold_json(seed: str) -> dict:
    """The gold JSON of a seed ("004_1de52a3aaf0af248"), as stored on disk."""
    return json.loads((SEED_GOLD / f"{seed}.json").read_text(encoding="utf-8"))


def gold_record(seed: str) -> PlanRecord:
    """A PlanRecord built from a seed's gold JSON, its source pointing at the seed text.

    Gold files have the record's shape minus spans, with recipients as plain
    strings; PlanRecord wants ``{"name": ...}``.
    """
    data = gold_json(seed)
    data["recipients"] = [r if isinstance(r, dict) else {"name": r} for r in data.get("recipients", [])]
    record = PlanRecord.model_validate(data)
    text_path = SEED_TEXTS / f"{seed}.txt"
    record.source.path = str(text_path)
    record.source.sha256 = file_sha256(text_path)
    record.source.format = "txt"
    return record


def gold_source(seed: str) -> SourceText:
    """The seed's text as a SourceText (raw, not normalized: gold has no spans to honour)."""
    path = SEED_TEXTS / f"{seed}.txt"
    return SourceText(text=path.read_text(encoding="utf-8"), format="txt", path=str(path))


@pytest.fixture
def mem_db():
    """A migrated in-memory DuckDB connection."""
    from kehoach.store import migrate

    con = duckdb.connect(":memory:")
    migrate(con)
    yield con
    con.close()


@pytest.fixture(scope="session")
def seeded_db():
    """An in-memory store holding the four seed gold records, shared by the session.

    Shared because storing takes a while; tests must not write to it (a test
    that writes uses ``mem_db``). Tests that try writes assert they were refused.
    """
    from kehoach.store import migrate, store_record

    con = duckdb.connect(":memory:")
    migrate(con)
    for seed in SEED_IDS:
        assert store_record(con, gold_record(seed), gold_source(seed)) is True
    yield con
    con.close()
