"""The `hotline` command: start the system (or the gateway alone), train the models, chat from a
terminal, manage agent accounts and handling units, print reports, install the speech model."""

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from core.pii import configure_logging
from core.settings import PROJECT_ROOT, Settings
from desk.accounts.cli import add_parser as add_agents_parser, run as run_agents
from reports.cli import add_parser as add_report_parser, run as run_report
from tickets.units_cli import add_parser as add_units_parser, run as run_units

log = logging.getLogger("hotline")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hotline", description="12345 citizen-service hotline assistant")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "up",
        help="train if needed, fetch the speech model if missing and reachable, start Rasa, the action server "
        "and the gateway; Ctrl-C stops all",
    )
    sub.add_parser(
        "train",
        help="train the Rasa model, the category classifier and the request-type model if their "
        "inputs changed; embed the emergency phrasings and the knowledge base",
    )
    sub.add_parser("serve", help="run the gateway alone (HTTP/WebSocket on HOTLINE_PORT)")
    clf = sub.add_parser("classifier", help="the work-order category classifier")
    clf_sub = clf.add_subparsers(dest="classifier_command", required=True)
    retrain = clf_sub.add_parser("train", help="train from a hotline centre's historical work orders (CSV)")
    retrain.add_argument("--csv", required=True, type=Path, help="CSV file with a text and a label column")
    retrain.add_argument("--text-column", default="text", help="text column(s), comma-separated (joined)")
    retrain.add_argument("--label-column", default="label", help="category code or level-1/2/3 name")
    retrain.add_argument("--with-project-examples", action="store_true", help="add the built-in examples")
    retrain.add_argument("--out", type=Path, default=PROJECT_ROOT / "models" / "classifier-site.npz")
    chat = sub.add_parser("chat", help="chat with the hotline in this terminal, through the gateway")
    chat.add_argument("--url", help="gateway base URL (default: http://127.0.0.1:$HOTLINE_PORT)")
    chat.add_argument("--conversation-id", help="resume this conversation (web:<uuid>)")
    chat.add_argument("--resume-token", help="the conversation's resume token (printed when it started)")
    add_agents_parser(sub)
    add_units_parser(sub)
    add_report_parser(sub)
    models = sub.add_parser("models", help="speech recognition model: download (verified by sha256), verify")
    models_sub = models.add_subparsers(dest="models_command", required=True)
    models_sub.add_parser("fetch", help="download and install the Vosk model").add_argument(
        "--zip", type=Path, help="install from a zip copied to this machine (offline; same sha256 check)"
    )
    models_sub.add_parser("verify", help="check that the installed model is present and unchanged")
    transcribe = sub.add_parser("transcribe", help="print FILE<TAB>TEXT for each audio file")
    transcribe.add_argument("files", nargs="+", type=Path, metavar="FILE")
    args = parser.parse_args(argv)

    if args.command in ("up", "serve"):
        # Databases, logs and pid files hold citizens' data: readable by this user only (0600),
        # in every process started from here (Rasa's tracker store, the logs, the gateway's files).
        os.umask(0o077)
    configure_logging()
    settings = Settings()
    try:
        if args.command == "up":
            from runtime.stack import run_stack

            return asyncio.run(run_stack(settings))
        if args.command == "train":
            from runtime.prepare import prepare_models

            prepare_models(settings)
            return 0
        if args.command == "classifier":
            from tickets.classifier_history import train_from_csv

            columns = [c.strip() for c in args.text_column.split(",")]
            model = train_from_csv(
                args.csv,
                columns if len(columns) > 1 else columns[0],
                args.label_column,
                include_project_examples=args.with_project_examples,
            )
            print(f"saved {model.save(args.out)}; use it with HOTLINE_CLASSIFIER_MODEL={args.out}")
            return 0
        if args.command == "agents":
            return run_agents(args, settings)
        if args.command == "units":
            return run_units(args, settings)
        if args.command == "report":
            return run_report(args, settings)
        if args.command == "serve":
            return serve(settings)
        if args.command == "models":
            from voice.models import run_models_command

            return run_models_command(settings, args.models_command, getattr(args, "zip", None))
        if args.command == "transcribe":
            from voice.transcribe import transcribe_files

            return asyncio.run(transcribe_files(settings, args.files))
        if args.command == "chat":
            from channels.terminal_client import chat_in_terminal

            url = args.url or f"http://127.0.0.1:{settings.port}"
            return asyncio.run(chat_in_terminal(url, args.conversation_id, args.resume_token))
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
        ws_max_size=max(settings.ws_max_frame_bytes, settings.max_frame_bytes),
        log_config=None,  # keep our handlers (personal data is masked there)
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
