"""The actions' gateway client on the engine's Python (3.10) against a real local HTTP server: a
gateway slower than the client's timeout is GatewayUnavailable (the actions' apology), not a crash."""

import textwrap

from tests.bot.engine import run_in_engine

SCRIPT = textwrap.dedent("""
    import asyncio
    from aiohttp import web
    from bot.actions.gateway_client import GatewayClient, GatewayUnavailable

    async def slow(request):
        await asyncio.sleep(2)
        return web.json_response({})

    async def main():
        app = web.Application()
        app.router.add_get("/api/tickets/{n}", slow)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        client = GatewayClient(f"http://127.0.0.1:{port}", "key", timeout_s=0.3)
        try:
            await client.get_work_order("26120500001")
        except GatewayUnavailable as exc:
            print("unavailable", type(exc.__cause__).__name__)
        finally:
            await runner.cleanup()

    asyncio.run(main())
""")


def test_a_slow_gateway_is_unavailable_not_a_crash():
    assert run_in_engine("-c", SCRIPT).stdout.split() == ["unavailable", "TimeoutError"]
