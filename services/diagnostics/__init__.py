"""Diagnostics service: professional deficits (профессиональные дефициты) of educators.

Consumes `DiagnosticResultSubmitted` (scores per competency of an assessment session,
initial or repeat), applies a configurable competency framework and emits
`DeficitDiagnosed`: each deficit's competency, score, threshold and severity, and on a
re-diagnosis the growth measured and the deficits that closed.

Layout: `domain/` (pure rules), `config` (framework files), `repository` (the port),
`adapters/` (MongoDB), `service` (the use case), `entrypoints/` (composition root).
"""
