"""Run by test_supervisor: supervises two small HTTP servers (one of which also starts a
grandchild) until SIGTERM. Usage: python -m tests.unit.supervise_demo PORT1 PORT2 VAR_DIR"""

import asyncio
import sys
from pathlib import Path

from runtime.supervisor import ProcessSpec, Supervisor


def main() -> None:
    port1, port2, var_dir = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    server = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1"]
    specs = [
        ProcessSpec("one", [*server, str(port1)], f"http://127.0.0.1:{port1}/", var_dir),
        ProcessSpec(
            "two",
            ["sh", "-c", f"sleep 600 & echo $! > {var_dir}/grandchild.pid; exec {' '.join(server)} {port2}"],
            f"http://127.0.0.1:{port2}/",
            var_dir,
        ),
    ]

    async def ready() -> None:
        (var_dir / "ready").write_text("ok")

    asyncio.run(Supervisor(specs, var_dir / "log", var_dir / "run").run(on_ready=ready))


if __name__ == "__main__":
    main()
