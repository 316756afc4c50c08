"""Indicators service: the efficiency indicators of РСНМС and the passport (паспорт ДППО).

Folds every registry fact, diagnosis, route, support form and completion into per-entity
records, computes I1-I6, E1, E2 and road-map completion (RM) for the region, each
municipality and each organization as of any date (docs/indicators.md), keeps live tables
(`indicator_tables`, `IndicatorsPublished` on rsnms.indicators.aggregates, counts only) and
takes immutable, versioned passport snapshots (`passport_snapshots`, `PassportSnapshotTaken`
on rsnms.indicators.passports).

Layout: `domain/` (pure rules), `live` (table debounce), `repository` (the ports),
`service` (the use cases), `adapters/` (MongoDB), `config` (targets and passport files),
`entrypoints/` (composition root and HTTP).
"""
