"""The `rasa run` command line `hotline up` builds, read by Rasa's own argument parser (engine
environment): a random auth token may start with "-", which argparse took for an option
("argument -t/--auth-token: expected one argument") and Rasa would not start."""

import json

import pytest

from core.settings import Settings
from runtime.stack import rasa_command
from tests.bot.engine import run_in_engine

PARSE = """
import json, sys
from rasa.__main__ import create_argument_parser
args = create_argument_parser().parse_args(sys.argv[1:])
print(json.dumps({"auth_token": args.auth_token, "port": args.port, "enable_api": args.enable_api}))
"""


@pytest.mark.parametrize("token", ["-Zx3k9LmQw2pR7vT1yB5nD8fH4jG6sA0", "plainToken1234567890abcdefghijklmn"])
def test_rasa_reads_the_auth_token_whatever_it_starts_with(tmp_path, token):
    settings = Settings(var_dir=tmp_path, rasa_token=token, action_token="a" * 32)
    argv = rasa_command(settings, tmp_path / "model.tar.gz", 5007)
    rasa_args = argv[argv.index("run") :]  # what follows `python -m bot.engine_runtime`
    done = run_in_engine("-c", PARSE, *rasa_args)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"auth_token": token, "port": 5007, "enable_api": True}
