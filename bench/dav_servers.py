"""The servers the DAV benchmarks compare, each run as its own process on a free port: Hamkar
(over SQLite or a fresh PostgreSQL database), Radicale from PyPI in its own virtualenv; and
what they share: the target, the timing and the report with ratios."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from bench.common import free_port

if TYPE_CHECKING:
    from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
USER = "bench@example.com"


@dataclass
class Target:
    """A running DAV server with the data loaded; ``calendar_url`` is the collection measured
    (an address book for CardDAV)."""

    name: str
    calendar_url: str
    auth: tuple[str, str] | None
    names: list[str]


def wait_until_up(url: str, process: subprocess.Popen[bytes], auth: tuple[str, str] | None) -> None:
    """Wait until the server answers OPTIONS."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            httpx.request("OPTIONS", url, auth=auth, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


@contextmanager
def served(
    command: list[str], probe: str, auth: tuple[str, str] | None, **popen: object
) -> Iterator[str]:
    """Run ``command`` (``{port}`` in it becomes a free port) until the block ends; yields its
    base URL once ``probe`` (a path) answers."""
    port = free_port()
    process = subprocess.Popen(
        [part.replace("{port}", str(port)) for part in command],
        **popen,  # type: ignore[call-overload]
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base + probe, process, auth)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class HamkarData:
    """A migrated, empty Hamkar database and data directory to load before serving."""

    settings: Settings
    env: dict[str, str]


@contextmanager
def hamkar_data(database_url: str | None) -> Iterator[HamkarData]:
    """A fresh data directory (and the SQLite database in it unless ``database_url``)."""
    from app.migrate import upgrade
    from app.models import import_all_models
    from app.settings import Settings

    data_dir = Path(tempfile.mkdtemp(prefix="hamkar-bench-"))
    env = {
        "HAMKAR_DATA_DIR": str(data_dir),
        "HAMKAR_SECRET_KEY": "bench-secret-0123456789abcdef0123",
        **({"HAMKAR_DATABASE_URL": database_url} if database_url else {}),
    }
    settings = Settings(**{k.removeprefix("HAMKAR_").lower(): v for k, v in env.items()})  # type: ignore[arg-type]
    upgrade(settings)
    import_all_models()
    try:
        yield HamkarData(settings, env)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@contextmanager
def hamkar_served(data: HamkarData, password: str) -> Iterator[str]:
    """Hamkar served by uvicorn in its own process over ``data``; yields its base URL."""
    command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory"]
    command += ["--port", "{port}", "--log-level", "warning"]
    with served(
        command, "/dav/", (USER, password), cwd=ROOT, env={**os.environ, **data.env}
    ) as base:
        yield base


def venv_with(package: str, directory: Path) -> Path:
    """The Python of a virtualenv at ``directory`` with ``package`` from PyPI, made once."""
    python = directory / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(directory)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", package], check=True)
    return python


@contextmanager
def radicale_served(collection: str, tag: str, items: list[tuple[str, str]]) -> Iterator[Target]:
    """Radicale with ``items`` written straight into the collection ``bench/<collection>/``
    of type ``tag`` (VCALENDAR or VADDRESSBOOK)."""
    python = venv_with("radicale", Path("/tmp/hamkar-bench-radicale"))
    storage = Path(tempfile.mkdtemp(prefix="radicale-bench-"))
    folder = storage / "collection-root" / "bench" / collection
    folder.mkdir(parents=True)
    (folder / ".Radicale.props").write_text(f'{{"tag": "{tag}"}}')
    for name, text in items:
        (folder / name).write_bytes(text.encode())
    command = [str(python), "-m", "radicale", "--server-hosts", "127.0.0.1:{port}"]
    command += ["--storage-filesystem-folder", str(storage), "--auth-type", "none"]
    command += ["--rights-type", "owner_only", "--logging-level", "warning"]
    try:
        with served(command, "/", None) as base:
            names = [n for n, _ in items]
            yield Target("Radicale", f"{base}/bench/{collection}/", ("bench", "x"), names)
    finally:
        shutil.rmtree(storage, ignore_errors=True)


@contextmanager
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    from sqlalchemy import create_engine, text

    admin_url = os.environ.get(
        "HAMKAR_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"hamkar_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def timed(action: Callable[[], httpx.Response], expect: int) -> tuple[float, httpx.Response]:
    """Seconds one request took, and its answer (which must have status ``expect``)."""
    start = time.perf_counter()
    response = action()
    elapsed = time.perf_counter() - start
    if response.status_code != expect:
        raise RuntimeError(f"expected {expect}, got {response.status_code}: {response.text[:300]}")
    return elapsed, response


def report(results: dict[str, dict[str, float]]) -> None:
    """Print every figure and the ratios against Hamkar on SQLite."""
    names = list(next(iter(results.values())))
    print()
    header = f"{'figure':34}" + "".join(f"{n:>22}" for n in results)
    print(header)
    print("-" * len(header))
    for figure in names:
        cells = []
        for data in results.values():
            value = data.get(figure)
            if value is None:
                cells.append(f"{'-':>22}")
            elif figure.endswith("items"):
                cells.append(f"{value:>22.0f}")
            else:
                cells.append(f"{value * 1000:>19.1f} ms")
        print(f"{figure:34}" + "".join(cells))
    for label in ("Hamkar SQLite", "Hamkar PostgreSQL"):
        base = results.get(label)
        for other, data in results.items():
            if other.startswith("Hamkar") or base is None:
                continue
            print()
            for figure in names:
                if figure.endswith("items") or figure not in data or not base.get(figure):
                    continue
                print(f"{other} / {label}, {figure}: {data[figure] / base[figure]:.0f}x")
