"""`hotline models fetch|verify` against a real local HTTP server serving model zips."""

import hashlib
import http.server
import io
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from tests.helpers import free_port
from voice.models import MANIFEST, ModelError, ModelSpec, fetch, verify

ROOT = Path(__file__).resolve().parents[2]


def model_zip(top: str = "vosk-model-test", extra: dict[str, bytes] | None = None) -> bytes:
    files = {"am/final.mdl": os.urandom(20_000), "conf/model.conf": b"--beam=10\n", "graph/phones.txt": b"a 1\n"}
    files.update(extra or {})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(f"{top}/{name}" if top else name, data)
    return buf.getvalue()


class Files(http.server.BaseHTTPRequestHandler):
    served: dict[str, bytes] = {}

    def do_GET(self):
        body = self.served.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", Files.served
    httpd.shutdown()


def spec_for(url: str, data: bytes, directory: Path, size: bool = True) -> ModelSpec:
    return ModelSpec(url, hashlib.sha256(data).hexdigest(), len(data) if size else None, directory / "vosk-model-test")


def test_fetch_verifies_and_installs_then_verify_detects_tampering(server, tmp_path):
    base, served = server
    good = model_zip()
    served["/good.zip"] = good
    spec = spec_for(f"{base}/good.zip", good, tmp_path)
    log = io.StringIO()
    path = fetch(spec, out=log)
    assert (path / "am" / "final.mdl").is_file() and (path / MANIFEST).is_file()
    assert "installed vosk-model-test" in log.getvalue() and "MB" in log.getvalue()
    assert verify(spec)[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vosk-model-test"]  # no temporary leftovers
    (path / "conf" / "model.conf").write_text("--beam=99\n")
    ok, message = verify(spec)
    assert not ok and "conf/model.conf" in message
    # fetching again replaces the installation atomically
    fetch(spec, out=io.StringIO())
    assert verify(spec)[0]


def test_corrupted_or_wrong_downloads_are_refused_and_leave_nothing(server, tmp_path):
    base, served = server
    good = model_zip()
    corrupted = bytearray(good)
    corrupted[len(corrupted) // 2] ^= 0xFF
    served["/corrupted.zip"] = bytes(corrupted)
    spec = ModelSpec(f"{base}/corrupted.zip", hashlib.sha256(good).hexdigest(), len(good), tmp_path / "m")
    with pytest.raises(ModelError, match="sha256 mismatch.*refused"):
        fetch(spec, out=io.StringIO())
    served["/short.zip"] = good[:-10]
    with pytest.raises(ModelError, match="expected"):
        fetch(ModelSpec(f"{base}/short.zip", spec.sha256, len(good), tmp_path / "m"), out=io.StringIO())
    with pytest.raises(ModelError, match="HTTP 404"):
        fetch(ModelSpec(f"{base}/missing.zip", spec.sha256, None, tmp_path / "m"), out=io.StringIO())
    assert list(tmp_path.iterdir()) == []


def test_unsafe_or_non_model_zips_are_refused(server, tmp_path):
    base, served = server
    for name, data, match in [
        ("/slip.zip", model_zip(extra={"../../evil.txt": b"x"}), "unsafe path"),
        ("/notmodel.zip", model_zip(top="", extra={}).replace(b"am/final.mdl", b"am/other.mdl"), "Vosk model"),
        ("/notzip.zip", b"this is not a zip at all", "not a valid zip"),
    ]:
        served[name] = data
        with pytest.raises(ModelError, match=match):
            fetch(spec_for(f"{base}{name}", data, tmp_path, size=False), out=io.StringIO())
    assert [p.name for p in tmp_path.iterdir()] == []


def test_offline_machine_gets_a_clear_hint(tmp_path):
    spec = ModelSpec(f"http://127.0.0.1:{free_port()}/model.zip", "0" * 64, 10, tmp_path / "m")
    with pytest.raises(ModelError, match=r"may be offline: download .* `hotline models fetch --zip FILE`"):
        fetch(spec, out=io.StringIO())
    ok, message = verify(spec)
    assert not ok and "hotline models fetch" in message


def cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")} | env
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], cwd=ROOT, env=full, capture_output=True, text=True, timeout=120
    )


def test_cli_fetch_verify_and_offline_zip_install(server, tmp_path):
    base, served = server
    good = model_zip(top="vosk-model-cli")
    served["/vosk-model-cli.zip"] = good
    env = {
        "HOTLINE_VAR_DIR": str(tmp_path),
        "HOTLINE_VOSK_MODEL_URL": f"{base}/vosk-model-cli.zip",
        "HOTLINE_VOSK_MODEL_SHA256": hashlib.sha256(good).hexdigest(),
        "HOTLINE_VOSK_MODEL_SIZE": str(len(good)),
    }
    missing = cli("models", "verify", env=env)
    assert missing.returncode == 1 and "hotline models fetch" in missing.stderr
    fetched = cli("models", "fetch", env=env)
    assert fetched.returncode == 0, fetched.stderr
    assert (tmp_path / "models" / "vosk-model-cli" / "am" / "final.mdl").is_file()
    verified = cli("models", "verify", env=env)
    assert verified.returncode == 0 and verified.stdout.startswith("ok:")
    # offline install of a copied zip; a wrong zip is refused
    (tmp_path / "copy.zip").write_bytes(good)
    assert cli("models", "fetch", "--zip", str(tmp_path / "copy.zip"), env=env).returncode == 0
    (tmp_path / "wrong.zip").write_bytes(model_zip())
    wrong = cli("models", "fetch", "--zip", str(tmp_path / "wrong.zip"), env=env)
    assert wrong.returncode == 1 and "sha256 mismatch" in wrong.stderr


def test_ensure_model_at_start_up_fetches_when_possible_and_never_raises(server, tmp_path):
    from core.settings import Settings
    from voice.models import ensure_model

    base, served = server
    good = model_zip(top="vosk-model-up")
    served["/vosk-model-up.zip"] = good
    offline = Settings(var_dir=tmp_path, vosk_model_url=f"http://127.0.0.1:{free_port()}/vosk-model-up.zip")
    ok, message = ensure_model(offline, out=io.StringIO(), timeout_s=2)
    assert not ok and "keypad-only" in message and "--zip FILE" in message
    online = Settings(
        var_dir=tmp_path,
        vosk_model_url=f"{base}/vosk-model-up.zip",
        vosk_model_sha256=hashlib.sha256(good).hexdigest(),
        vosk_model_size=len(good),
    )
    assert ensure_model(online, out=io.StringIO())[0]
    assert ensure_model(online, out=io.StringIO()) == (True, f"speech model at {tmp_path / 'models' / 'vosk-model-up'}")
