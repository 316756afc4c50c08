"""The national bench's outboxes spooled to disk before the clock: the same records as made in
memory, read back once, with what the reports need of each region kept."""

from __future__ import annotations

from pathlib import Path

from bench.pipeline import Outbox, spec_for, spool
from demo.competencies import framework_competencies
from demo.generator import RegionGenerator

SPECS = [spec_for("quick", "RU-X", seed=3), spec_for("quick", "RU-Y", seed=4)]
KEYS = {s: b"k-" + s.encode() for spec in SPECS for s in RegionGenerator(spec, framework_competencies()).sources}


def test_spooled_outboxes_hold_the_records_made_in_memory(tmp_path: Path):
    spooled = spool(SPECS, KEYS, tmp_path / "outboxes")
    assert [s.region.spec.region for s in spooled] == ["RU-X", "RU-Y"]
    for spec, entry in zip(SPECS, spooled, strict=True):
        expected = Outbox.of(RegionGenerator(spec, framework_competencies()).generate(), KEYS)
        assert entry.educators == expected.educators > 0
        assert entry.region.team_ids == expected.region.team_ids and entry.region.programs == expected.region.programs
        assert entry.region.registry == [] and entry.region.people == {}  # the country is not held
        box = entry.load()
        assert not entry.path.exists()
        for got, made in ((box.registry, expected.registry), (box.diagnostics, expected.diagnostics)):
            assert [r[:3] for r in got] == [r[:3] for r in made]
            assert all(dict(g[3]).keys() == dict(m[3]).keys() for g, m in zip(got, made, strict=True))
