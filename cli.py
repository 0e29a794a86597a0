"""The `hotline` command: start the system, train the model, chat from a terminal."""

import argparse
import asyncio
import logging
import sys

from core.pii import configure_logging
from core.settings import PROJECT_ROOT, Settings

log = logging.getLogger("hotline")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hotline", description="12345 citizen-service hotline assistant")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="train if needed, start Rasa, the action server and the gateway; Ctrl-C stops all")
    sub.add_parser("train", help="train the Rasa model and the category classifier if their inputs changed")
    sub.add_parser("serve", help="run the gateway alone (HTTP/WebSocket on HOTLINE_PORT)")
    chat = sub.add_parser("chat", help="chat with the hotline in this terminal, through the gateway")
    chat.add_argument("--url", help="gateway base URL (default: http://127.0.0.1:$HOTLINE_PORT)")
    chat.add_argument("--conversation-id", help="resume this conversation (web:<uuid>)")
    args = parser.parse_args(argv)

    configure_logging()
    settings = Settings()
    try:
        if args.command == "up":
            from runtime.stack import run_stack

            return asyncio.run(run_stack(settings))
        if args.command == "train":
            from runtime.training import ensure_model
            from tickets.category_catalog import CategoryCatalog
            from tickets.classifier_cache import load_or_train

            ensure_model(PROJECT_ROOT)
            load_or_train(CategoryCatalog.load())
            return 0
        if args.command == "serve":
            return serve(settings)
        if args.command == "chat":
            from channels.terminal_client import chat_in_terminal

            url = args.url or f"http://127.0.0.1:{settings.port}"
            return asyncio.run(chat_in_terminal(url, args.conversation_id))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001  (one clear line for the operator instead of a traceback)
        log.error("%s: %s", type(exc).__name__, exc)
        return 1
    return 2


def serve(settings: Settings) -> int:
    import uvicorn

    from app import create_app

    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        ws="websockets-sansio",
        ws_max_size=settings.max_frame_bytes,
        log_config=None,  # keep our handlers (personal data is masked there)
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
