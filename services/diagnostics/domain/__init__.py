"""Pure domain of the diagnostics service: no I/O, no messaging, only pydantic models.

`framework` is the competency framework (areas, competencies, thresholds, severity bands),
`diagnosis` computes a diagnosis from a session's scores, `history` orders an educator's
diagnoses and picks the previous one, `errors` is what makes a result undiagnosable.
"""
