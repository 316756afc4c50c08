"""Why a diagnostic result cannot be diagnosed. The message is the reason the use case gives
when it refuses the event (it ends in the dead-letter topic), so it names competency and
framework ids, never an educator."""

from __future__ import annotations


class DomainError(ValueError):
    """A result the rules refuse; `str(error)` is the reason."""


class UnknownFramework(DomainError):
    """The result names a competency framework the service does not have."""


class UnknownCompetency(DomainError):
    """The result scores competencies its framework does not define."""


class InvalidScore(DomainError):
    """A score is not a finite number between 0 and 100."""


class SessionConflict(DomainError):
    """A session already diagnosed arrives again with other content (other educator,
    role, kind, date, framework or scores): the first diagnosis stands."""
