"""`python -m services.routes` runs the routes service."""

from rsnms_runtime.service import serve
from services.routes.entrypoints.app import build

if __name__ == "__main__":
    runtime = build()
    serve(runtime.app(), runtime.settings)
