"""The unit console's page `/unit` and its static files `/unit/static/…` (plain HTML/JS/CSS).

The page holds no data: it logs in with `POST /api/agent/login` (a unit account) and works
through the closed-loop API. The composition root includes it with `include_unit_console(app)`."""

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"


router = APIRouter()


@router.get("/unit", include_in_schema=False)
async def console() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html")


def include_unit_console(app: FastAPI) -> None:
    """The page and its static files (a Mount is not carried by include_router, hence a function)."""
    app.include_router(router)
    app.mount("/unit/static", StaticFiles(directory=STATIC_DIR), name="unit-static")
