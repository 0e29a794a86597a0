#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter for the Rasa engine environment:
# `python3.10` on PATH first, then pyenv's 3.10.x builds. Fails with an install hint.
set -euo pipefail
ok() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }
if command -v python3.10 >/dev/null 2>&1 && ok python3.10; then
  command -v python3.10; exit 0
fi
if command -v pyenv >/dev/null 2>&1; then
  for p in $(ls -d "$(pyenv root)"/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V -r); do
    if ok "$p"; then echo "$p"; exit 0; fi
  done
fi
cat >&2 <<'MSG'
error: Python 3.10 is required for the Rasa engine (rasa 3.6 supports Python 3.8-3.10),
but neither `python3.10` on PATH nor a pyenv 3.10.x build was found.
Install one, e.g.:  pyenv install 3.10.13   (or: apt-get install python3.10 python3.10-venv)
MSG
exit 1
