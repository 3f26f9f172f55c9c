"""REST API under /api/v1 (FastAPI, OpenAPI 3 at /openapi.json). Thin routes: validate, call a service."""
