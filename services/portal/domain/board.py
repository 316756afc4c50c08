"""What the portal knows from the feed it subscribes to: the latest indicator table of every
region (rsnms.indicators.aggregates), the latest passport snapshot (rsnms.indicators.passports)
the organizations' titles (rsnms.registry.facts) and the rounds' summaries (counts only, on the
aggregates). Folding is pure and idempotent: an older
table never replaces a newer one, so a replay of the feed from its beginning ends in the same state."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from contracts import (
    Event,
    IndicatorsPublished,
    IndicatorTable,
    OrganizationRegistered,
    PassportSnapshot,
    PassportSnapshotTaken,
    RoundsSummary,
    RoundsSummaryPublished,
)


@dataclass(frozen=True)
class Organization:
    organization_id: str
    title: str
    municipality_id: str
    kind: str
    revision: int


@dataclass
class Board:
    tables: dict[str, IndicatorTable] = field(default_factory=dict)
    passports: dict[str, PassportSnapshot] = field(default_factory=dict)
    organizations: dict[str, dict[str, Organization]] = field(default_factory=dict)
    rounds: dict[str, RoundsSummary] = field(default_factory=dict)

    def apply(self, events: Iterable[Event]) -> set[str]:
        """Fold events in; returns the regions whose figures changed."""
        changed: set[str] = set()
        for event in events:
            if isinstance(event, IndicatorsPublished):
                table, held = event.payload, self.tables.get(event.region)
                if held is None or table.computed_at >= held.computed_at:
                    self.tables[event.region] = table
                    changed.add(event.region)
            elif isinstance(event, PassportSnapshotTaken):
                snap, held_snap = event.payload, self.passports.get(event.region)
                if held_snap is None or (snap.as_of, snap.version, snap.taken_at) >= (
                    held_snap.as_of,
                    held_snap.version,
                    held_snap.taken_at,
                ):
                    self.passports[event.region] = snap
                    changed.add(event.region)
            elif isinstance(event, RoundsSummaryPublished):
                summary, held_summary = event.payload, self.rounds.get(event.region)
                if held_summary is None or summary.computed_at >= held_summary.computed_at:
                    self.rounds[event.region] = summary
                    changed.add(event.region)
            elif isinstance(event, OrganizationRegistered):
                p = event.payload
                orgs = self.organizations.setdefault(event.region, {})
                held_org = orgs.get(p.organization_id)
                if held_org is None or p.revision >= held_org.revision:
                    orgs[p.organization_id] = Organization(
                        p.organization_id, p.title, p.municipality_id, p.kind, p.revision
                    )
        return changed

    def regions(self) -> list[str]:
        return sorted(self.tables)

    def organization_title(self, region: str, organization_id: str) -> str:
        org = self.organizations.get(region, {}).get(organization_id)
        return org.title if org else organization_id
