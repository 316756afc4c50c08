"""Pure domain of the indicators service: no I/O, no messaging, no framework.

`records` are the per-entity state records and the one-record rules (placement, active),
`fold` folds events into them order-independently and idempotently, `indicators` computes
I1-I6, E1, E2 and RM as of a date (docs/indicators.md), `targets` holds the per-region
targets and the `target_met` rule, `passport` builds the паспорт ДППО, `resources` lists
its information resources, `labels` has the Russian titles.
"""
