"""Upcasters: each turns an event document of one schema version into the next.

Consumers decode every version a producer may still send: older documents are brought
to the current schema before validation, so domain code sees one shape only.
"""

from __future__ import annotations

from typing import Any

from contracts.codec import upcaster


@upcaster("EducatorRegistered", 1)
def educator_registered_v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """v2 added the qualification category and subject areas; v1 knew neither."""
    payload = dict(doc["payload"])
    payload.setdefault("qualification_category", "none")
    payload.setdefault("subject_areas", [])
    return {**doc, "schema_version": 2, "payload": payload}


def _added(doc: dict[str, Any], to_version: int, **defaults: Any) -> dict[str, Any]:
    payload = dict(doc["payload"])
    for name, value in defaults.items():
        payload.setdefault(name, value)
    return {**doc, "schema_version": to_version, "payload": payload}


@upcaster("OrganizationRegistered", 1)
def organization_registered_v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """v2 added `opened_on`; v1 cannot say when the organization opened."""
    return _added(doc, 2, opened_on=None)


@upcaster("SupportStaffRegistered", 1)
def support_staff_registered_v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """v2 added `employed_from`; v1 cannot say when the employment began."""
    return _added(doc, 2, employed_from=None)


@upcaster("CnppmStaffRegistered", 1)
def cnppm_staff_registered_v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """v2 added `employed_from`; v1 cannot say when the employment began."""
    return _added(doc, 2, employed_from=None)


@upcaster("ManagementTeamRegistered", 1)
def management_team_registered_v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """v2 added `formed_on`; v1 cannot say when the team was formed."""
    return _added(doc, 2, formed_on=None)


@upcaster("DiagnosticResultSubmitted", 1)
def diagnostic_result_v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """v2 says who conducted the session; v1 could not ("unknown")."""
    return _added(doc, 2, conducted_by="unknown", centre_id=None)


@upcaster("DeficitDiagnosed", 1)
def deficit_diagnosed_v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """v2 carries the session's provenance; v1 could not ("unknown")."""
    return _added(doc, 2, conducted_by="unknown", centre_id=None)
