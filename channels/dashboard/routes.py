"""The dashboard's page `/dashboard` and its static files `/dashboard/static/…`. The composition
root includes it with `include_dashboard(app)`. The charting library is built into
`static/vendor/` by scripts/build-dashboard-assets.sh (`make setup`); without it the page says so."""

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"
ECHARTS = STATIC_DIR / "vendor" / "echarts" / "echarts.min.js"
MAP = STATIC_DIR / "map" / "beijing.geojson"


router = APIRouter()


@router.get("/dashboard", include_in_schema=False)
async def dashboard() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html")


def include_dashboard(app: FastAPI) -> None:
    """The page and its static files (a Mount is not carried by include_router, hence a function)."""
    app.include_router(router)
    app.mount("/dashboard/static", StaticFiles(directory=STATIC_DIR), name="dashboard-static")
