"""`hotline units list [--level L] [--district D] [--format text|json]` and `hotline units import
CSV`: the handling units (承办单位) work orders are dispatched to. Both first add the built-in units
that the database lacks."""

import argparse
import json
import sys
from pathlib import Path

from core.settings import Settings

LEVELS = ("street", "district", "city", "utility")  # tickets.units.LEVELS (not imported: fast start)


def add_parser(sub: argparse._SubParsersAction) -> None:
    units = sub.add_parser("units", help="handling units (承办单位): list, import a CSV")
    units_sub = units.add_subparsers(dest="units_command", required=True)
    listing = units_sub.add_parser("list", help="list the units (built-in and imported)")
    listing.add_argument("--level", choices=LEVELS)
    listing.add_argument("--district", help="e.g. 朝阳区")
    listing.add_argument("--format", choices=["text", "json"], default="text")
    imp = units_sub.add_parser("import", help="add or update units from a CSV file, all rows or none")
    imp.add_argument(
        "csv",
        type=Path,
        metavar="CSV",
        help="UTF-8 with a header: code,name,level,district (or the official street list's "
        "code,name,district_code,district)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here: `hotline` starts fast for the other commands.
    from core.db import init_db, make_engine
    from tickets.units import UnitRegistry

    engine = make_engine(settings.database)
    try:
        init_db(engine)
        registry = UnitRegistry(engine)
        registry.ensure_builtin()
        if args.units_command == "list":
            units = registry.all(level=args.level, district=args.district)
            if args.format == "json":
                print(json.dumps([u.as_dict() for u in units], ensure_ascii=False, indent=1))
            else:
                for u in units:
                    state = "" if u.active else "\t(inactive)"
                    print(f"{u.code}\t{u.level}\t{u.district or '-'}\t{u.name}{state}")
            return 0
        if not args.csv.is_file():
            print(f"error: {args.csv}: no such file", file=sys.stderr)
            return 1
        result = registry.import_csv(args.csv)
        if result.errors:
            for error in result.errors:
                print(f"error: {error}", file=sys.stderr)
            print("nothing imported", file=sys.stderr)
            return 1
        replaced = f", {len(result.replaced)} built-in units replaced" if result.replaced else ""
        print(f"imported {args.csv}: {result.added} added, {result.updated} updated{replaced}")
        return 0
    finally:
        engine.dispose()
