"""The real gateway app (app.create_app) served by uvicorn inside the test's event loop."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn

from app import create_app
from core.settings import Settings
from tests.helpers import free_port


@contextlib.asynccontextmanager
async def serve_gateway(settings: Settings) -> AsyncIterator[str]:
    """Start the gateway (lifespan included) on a free port; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(180):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("gateway exited during start")
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
