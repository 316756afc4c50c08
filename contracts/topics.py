"""Every Kafka topic of the platform, and which events travel on which, in one place."""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    #: master data submitted by institute / ЦНППМ systems (inbound)
    REGISTRY_SUBMITTED = "rsnms.registry.submitted"
    #: validated registry facts, re-published by the registry service
    REGISTRY_FACTS = "rsnms.registry.facts"
    #: diagnostic session results from assessment platforms (inbound)
    DIAGNOSTIC_RESULTS = "rsnms.diagnostics.results"
    #: DeficitDiagnosed, from the diagnostics service
    DEFICITS = "rsnms.diagnostics.deficits"
    #: enrolment / completion reported by program providers (inbound)
    PROGRESS = "rsnms.routes.progress"
    #: routes and support forms, from the routes service
    ROUTES = "rsnms.routes.events"
    #: indicator tables for the region and the federal operator (counts only)
    AGGREGATES = "rsnms.indicators.aggregates"
    #: passport snapshots (паспорт ДППО)
    PASSPORTS = "rsnms.indicators.passports"
    #: monitoring rounds, passport decisions and sections from the regional ministry, the ИРО and
    #: the federal operator (inbound)
    GOVERNANCE = "rsnms.governance.submitted"
    #: round versions, passport status changes, program requests and recommendations
    ROUNDS = "rsnms.indicators.rounds"
    #: messages no consumer could accept, with the reason and the original bytes
    DEAD_LETTER = "rsnms.deadletter"


#: events a publishing system may put on each inbound topic
INBOUND_TOPICS = (Topic.REGISTRY_SUBMITTED, Topic.DIAGNOSTIC_RESULTS, Topic.PROGRESS, Topic.GOVERNANCE)
