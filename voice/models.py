"""Speech model management: `hotline models fetch` downloads the Vosk model zip (default
vosk-model-small-cn-0.22), checks its size and sha256 BEFORE unpacking, and installs it
atomically with a manifest of per-file hashes; `hotline models verify` checks that the model is
there and unchanged. Machines without internet install a copied zip with `fetch --zip FILE`
(verified the same way)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, TextIO

from voice.asr.vosk_provider import model_present

if TYPE_CHECKING:
    from core.settings import Settings

MANIFEST = ".hotline-model.json"
_BLOCK = 1 << 20


class ModelError(Exception):
    """A model could not be fetched, verified or installed (clear English message)."""


@dataclass(frozen=True)
class ModelSpec:
    url: str
    sha256: str
    size: int | None
    directory: Path  # where the unpacked model lives

    @property
    def name(self) -> str:
        return self.directory.name

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelSpec:
        return cls(
            settings.vosk_model_url,
            settings.vosk_model_sha256.lower(),
            settings.vosk_model_size,
            settings.vosk_model_dir,
        )

    def offline_hint(self) -> str:
        return (
            f"download {self.url} on a machine with internet access (sha256 {self.sha256}), copy it "
            f"here and run `hotline models fetch --zip FILE`"
        )


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
    return h.hexdigest()


class _Progress:
    def __init__(self, total: int | None, out: TextIO):
        self.total, self.out, self.done = total, out, 0
        self._last = 0.0

    def add(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._last >= 1.0 or (self.total and self.done >= self.total):
            self._last = now
            pct = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
            total = f" of {self.total / 1e6:.1f}" if self.total else ""
            print(f"  {self.done / 1e6:.1f}{total} MB{pct}", file=self.out, flush=True)


def download(spec: ModelSpec, target: Path, *, out: TextIO = sys.stderr, timeout_s: float = 30.0) -> Path:
    """Download spec.url to `target`, checking size and sha256; nothing is left on failure."""
    import httpx

    h = hashlib.sha256()
    part = target.with_name(target.name + ".part")
    print(f"downloading {spec.url}", file=out, flush=True)
    try:
        with httpx.stream("GET", spec.url, timeout=timeout_s, follow_redirects=True) as response:
            if response.status_code != 200:
                raise ModelError(f"{spec.url} answered HTTP {response.status_code}; {spec.offline_hint()}")
            length = response.headers.get("content-length")
            expected = spec.size if spec.size is not None else (int(length) if length else None)
            if spec.size is not None and length and int(length) != spec.size:
                raise ModelError(f"{spec.url} has {length} bytes, expected {spec.size}: refused (wrong file?)")
            progress = _Progress(expected, out)
            with open(part, "wb") as f:
                for block in response.iter_bytes(_BLOCK):
                    if spec.size is not None and progress.done + len(block) > spec.size:
                        raise ModelError(f"{spec.url} is larger than the expected {spec.size} bytes: refused")
                    f.write(block)
                    h.update(block)
                    progress.add(len(block))
        if spec.size is not None and progress.done != spec.size:
            raise ModelError(f"download ended after {progress.done} of {spec.size} bytes: refused")
        if h.hexdigest() != spec.sha256:
            raise ModelError(
                f"sha256 mismatch for {spec.url}: expected {spec.sha256}, got {h.hexdigest()}; "
                "the download was refused and deleted"
            )
        part.replace(target)
        return target
    except httpx.HTTPError as exc:
        raise ModelError(
            f"cannot download {spec.url} ({type(exc).__name__}: {exc}). This machine may be "
            f"offline: {spec.offline_hint()}"
        ) from exc
    finally:
        part.unlink(missing_ok=True)


def _members(zf: zipfile.ZipFile) -> tuple[list[zipfile.ZipInfo], str]:
    """Safe members and the single top-level folder to strip ('' if none)."""
    infos = zf.infolist()
    for info in infos:
        p = PurePosixPath(info.filename)
        if p.is_absolute() or ".." in p.parts or "\\" in info.filename:
            raise ModelError(f"unsafe path in the zip: {info.filename!r}: refused")
    tops = {PurePosixPath(i.filename).parts[0] for i in infos if i.filename.strip("/")}
    only = next(iter(tops)) if len(tops) == 1 else ""
    strip = only if only and all(i.filename.startswith(only + "/") or i.filename == only for i in infos) else ""
    return infos, strip


def install_zip(spec: ModelSpec, zip_path: Path, *, out: TextIO = sys.stderr) -> Path:
    """Verify the zip's sha256, unpack it beside the target and swap it in atomically."""
    digest = _sha256_file(zip_path)
    if digest != spec.sha256:
        raise ModelError(f"sha256 mismatch for {zip_path}: expected {spec.sha256}, got {digest}: refused")
    spec.directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{spec.name}-", dir=spec.directory.parent))
    try:
        try:
            with zipfile.ZipFile(zip_path) as zf:
                infos, strip = _members(zf)
                files: dict[str, str] = {}
                for info in infos:
                    rel = PurePosixPath(info.filename).relative_to(strip) if strip else PurePosixPath(info.filename)
                    if info.is_dir() or not rel.parts:
                        continue
                    dest = tmp.joinpath(*rel.parts)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    h = hashlib.sha256()
                    with zf.open(info) as src, open(dest, "wb") as dst:
                        while block := src.read(_BLOCK):
                            h.update(block)
                            dst.write(block)
                    files[str(rel)] = h.hexdigest()
        except zipfile.BadZipFile as exc:
            raise ModelError(f"{zip_path} is not a valid zip ({exc}): refused") from exc
        if not model_present(tmp):
            raise ModelError(f"{zip_path} does not hold a Vosk model (no am/final.mdl and conf/): refused")
        manifest = {"url": spec.url, "sha256": spec.sha256, "installed_at": int(time.time()), "files": files}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
        old = None
        if spec.directory.exists():
            old = spec.directory.with_name(f".old-{spec.name}-{int(time.time())}")
            spec.directory.rename(old)
        tmp.rename(spec.directory)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"installed {spec.name} ({len(files)} files) in {spec.directory}", file=out, flush=True)
    return spec.directory


def fetch(spec: ModelSpec, *, zip_path: Path | None = None, out: TextIO = sys.stderr, timeout_s: float = 30.0) -> Path:
    if zip_path is not None:
        return install_zip(spec, zip_path, out=out)
    spec.directory.parent.mkdir(parents=True, exist_ok=True)
    target = spec.directory.parent / f".{spec.name}-{os.getpid()}.zip"
    try:
        download(spec, target, out=out, timeout_s=timeout_s)
        return install_zip(spec, target, out=out)
    finally:
        target.unlink(missing_ok=True)


def verify(spec: ModelSpec) -> tuple[bool, str]:
    """(ok, message): the model is installed and every file still has its recorded hash."""
    d = spec.directory
    if not d.exists():
        return False, f"no speech model at {d}: run `hotline models fetch` (offline: {spec.offline_hint()})"
    manifest_path = d / MANIFEST
    if not manifest_path.exists():
        state = "looks like a Vosk model" if model_present(d) else "is not a Vosk model"
        return False, f"{d} {state} but has no {MANIFEST} (not installed by `hotline models fetch`): cannot verify"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("sha256") != spec.sha256:
        return False, f"{d} was installed from a zip with sha256 {manifest.get('sha256')}, expected {spec.sha256}"
    bad = [
        rel for rel, digest in manifest["files"].items() if not (d / rel).is_file() or _sha256_file(d / rel) != digest
    ]
    if bad:
        return False, f"{len(bad)} model file(s) missing or changed in {d}, e.g. {bad[0]}: run `hotline models fetch`"
    return True, f"ok: {d} ({len(manifest['files'])} files, zip sha256 {spec.sha256[:12]}…)"


def ensure_model(settings: Settings, *, out: TextIO = sys.stderr, timeout_s: float = 10.0) -> tuple[bool, str]:
    """For start-up (`hotline up`): the model is there, or is fetched now when its host answers.
    Never raises: (False, English message with the install hint) when it stays missing, and
    everything else (keypad-only phone calls) can still start."""
    spec = ModelSpec.from_settings(settings)
    if model_present(spec.directory):
        return True, f"speech model at {spec.directory}"
    try:
        fetch(spec, out=out, timeout_s=timeout_s)
    except ModelError as exc:
        return False, f"speech recognition unavailable (phone calls in keypad-only mode): {exc}"
    return True, f"speech model fetched into {spec.directory}"


def run_models_command(settings: Settings, command: str, zip_path: Path | None = None) -> int:
    """`hotline models fetch|verify`: 0 on success, 1 with one clear line on stderr otherwise."""
    spec = ModelSpec.from_settings(settings)
    if command == "verify":
        ok, message = verify(spec)
        print(message, file=sys.stdout if ok else sys.stderr)
        return 0 if ok else 1
    try:
        fetch(spec, zip_path=zip_path)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    ok, message = verify(spec)
    print(message, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1
