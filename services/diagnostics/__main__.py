"""`python -m services.diagnostics` runs the diagnostics service (FastStream app and its
health/metrics endpoints under uvicorn)."""

from rsnms_runtime.service import serve
from services.diagnostics.entrypoints.app import build

if __name__ == "__main__":
    runtime = build()
    serve(runtime.app(), runtime.settings)
