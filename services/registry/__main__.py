"""`python -m services.registry` runs the registry service."""

from rsnms_runtime.service import serve
from services.registry.entrypoints.app import build

if __name__ == "__main__":
    runtime = build()
    serve(runtime.app(), runtime.settings)
