"""`hotline agents add NAME --role agent|supervisor|unit [--unit CODE]`: create an account (a unit
account is bound to one handling unit of the registry, `hotline units list`); the password is
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
    add.add_argument("--role", choices=["agent", "supervisor", "unit"], default="agent")
    add.add_argument("--unit", metavar="CODE", help="the handling unit of a unit account (hotline units list)")
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
    from core.db import init_db, make_engine
    from desk.accounts.service import AgentAccounts
    from tickets.units import UnitRegistry

    engine = make_engine(settings.database)
    try:
        init_db(engine)
        if args.unit is not None:
            registry = UnitRegistry(engine)
            registry.ensure_builtin()
            unit = registry.get(args.unit)
            if unit is None or not unit.active:
                raise ValueError(f"no active handling unit {args.unit!r} (see `hotline units list`)")
        agent = AgentAccounts(engine).add(args.name, read_password(), args.role, args.display_name, args.unit)
    except ValueError as exc:  # AccountError, or the passwords differ
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"added {agent.role} {agent.username}" + (f" of unit {agent.unit_code}" if agent.unit_code else ""))
    return 0
