"""`python -m services.indicators` runs the indicators service."""

from rsnms_runtime.service import serve
from services.indicators.entrypoints.app import build

if __name__ == "__main__":
    runtime = build()
    serve(runtime.app(), runtime.settings)
