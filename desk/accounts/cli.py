"""`hotline agents add NAME --role agent|supervisor`: create an agent account; the password is
read from stdin (a terminal asks twice without echo), never from the command line."""

import argparse
import getpass
import sys

from core.settings import Settings


def add_parser(sub: argparse._SubParsersAction) -> None:
    agents = sub.add_parser("agents", help="agent desk accounts")
    agents_sub = agents.add_subparsers(dest="agents_command", required=True)
    add = agents_sub.add_parser("add", help="create an agent (password from stdin)")
    add.add_argument("name", help="login name: lower-case letters, digits, '_', '.', '-'")
    add.add_argument("--role", choices=["agent", "supervisor"], default="agent")
    add.add_argument("--display-name", help="name shown in the console (default: the login name)")


def read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise ValueError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def run(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here: `hotline` starts fast for the other commands.
    from desk.accounts.service import AgentAccounts
    from core.db import init_db, make_engine

    engine = make_engine(settings.database)
    try:
        init_db(engine)
        agent = AgentAccounts(engine).add(args.name, read_password(), args.role, args.display_name)
    except ValueError as exc:  # AccountError, or the passwords differ
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"added {agent.role} {agent.username}")
    return 0
