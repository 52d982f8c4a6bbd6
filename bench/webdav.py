"""WebDAV throughput: Hamkar's full stack next to standalone wsgidav and nginx, same data.

Run from the worktree as root (nginx is installed with apt-get if missing):

    .venv/bin/python bench/webdav.py            # 200 MiB file, 2,000 small files, 1 GiB move

Prints GET and PUT MB/s on the big file, PROPFIND depth 1 ms on the folder of small files, and
the Hamkar process' memory growth while a 1 GiB file goes up and down again.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MB = 1_000_000
CHUNK = 1 << 20
USER = "bench@example.com"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def make_data(work: Path, big_mib: int, small_count: int) -> tuple[Path, Path]:
    big = work / "big.bin"
    with big.open("wb") as out:
        for _ in range(big_mib):
            out.write(os.urandom(CHUNK))
    small = work / "small"
    small.mkdir()
    for index in range(small_count):
        (small / f"file-{index:05d}.txt").write_bytes(os.urandom(512))
    return big, small


@dataclass
class Server:
    """One server under test: its base URL for the data and its credentials."""

    name: str
    base: str  # the collection holding big.bin and small/
    auth: tuple[str, str] | None
    process: subprocess.Popen[bytes]
    figures: dict[str, float] = field(default_factory=dict)


def curl(args: list[str]) -> float:
    """Seconds curl took for one transfer."""
    out = subprocess.run(
        ["curl", "-sS", "-f", "-o", "/dev/null", "-w", "%{time_total}", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout)


def auth_args(server: Server) -> list[str]:
    return ["-u", f"{server.auth[0]}:{server.auth[1]}"] if server.auth else []


def measure(server: Server, big: Path, runs: int) -> None:
    size = big.stat().st_size
    puts = [
        size / curl([*auth_args(server), "-T", str(big), f"{server.base}/put-{i}.bin"]) / MB
        for i in range(runs)
    ]
    gets = [size / curl([*auth_args(server), f"{server.base}/big.bin"]) / MB for _ in range(runs)]
    with httpx.Client(auth=server.auth, timeout=120) as client:
        timings = []
        for _ in range(runs + 1):
            start = time.perf_counter()
            response = client.request("PROPFIND", f"{server.base}/small/", headers={"Depth": "1"})
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 207, response.status_code
            assert response.text.count("file-") >= 2000 or "file-" in response.text
    server.figures.update(get=max(gets), put=max(puts), propfind=statistics.median(timings[1:]))


def put_tree(base: str, auth: tuple[str, str] | None, big: Path, small: Path) -> None:
    """Copy the data into a server over WebDAV (for Hamkar, whose storage is its own)."""
    with httpx.Client(auth=auth, timeout=600) as client:
        assert client.request("MKCOL", f"{base}/small/").status_code in (201, 405)
        with big.open("rb") as body:
            assert client.put(f"{base}/big.bin", content=iter(lambda: body.read(CHUNK), b""))
        for item in sorted(small.iterdir()):
            client.put(f"{base}/small/{item.name}", content=item.read_bytes())


@contextmanager
def hamkar(work: Path, fsync: bool, folder: str = "hamkar") -> Iterator[Server]:
    data = work / folder
    env = {
        **os.environ,
        "HAMKAR_DATA_DIR": str(data),
        "HAMKAR_SECRET_KEY": "bench-secret-key-0123456789abcdef",
        "HAMKAR_FILES_QUOTA_BYTES": str(100 * 1024**3),
        "HAMKAR_FILES_MAX_UPLOAD_BYTES": str(20 * 1024**3),
        "HAMKAR_FILES_FSYNC": "true" if fsync else "false",
    }
    setup = (
        "from app.settings import Settings; from app.migrate import upgrade; "
        "from app.db import make_engine, make_session_factory, transaction; "
        "from app.models import import_all_models; from app.auth import app_passwords; "
        "s = Settings(); upgrade(s); import_all_models(); "
        "f = make_session_factory(make_engine(s))\n"
        f"with transaction(f) as db: print(app_passwords.create(db, email='{USER}', "
        "name='bench').plaintext)"
    )
    password = (
        subprocess.run(
            [PYTHON, "-c", setup], env=env, cwd=ROOT, capture_output=True, text=True, check=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    port = free_port()
    serve = (
        "import uvicorn; from app.main import create_app; "
        f"uvicorn.run(create_app(), host='127.0.0.1', port={port}, http='h11', "
        "log_level='warning')"
    )
    process = subprocess.Popen([PYTHON, "-c", serve], env=env, cwd=ROOT)
    try:
        wait_for_port(port)
        yield Server("hamkar", f"http://127.0.0.1:{port}/webdav/home", (USER, password), process)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


@contextmanager
def wsgidav(work: Path, big: Path, small: Path) -> Iterator[Server]:
    root = work / "wsgidav-root"
    root.mkdir()
    shutil.copy(big, root / "big.bin")
    shutil.copytree(small, root / "small")
    port = free_port()
    process = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "wsgidav"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--root",
            str(root),
            "--auth",
            "anonymous",
            "--server",
            "cheroot",
            "-q",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield Server("wsgidav", f"http://127.0.0.1:{port}", None, process)
    finally:
        process.terminate()
        process.wait(timeout=30)


NGINX_CONF = """
daemon off;
user root;
worker_processes 2;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
{modules}
events {{ worker_connections 256; }}
http {{
  access_log off;
  sendfile on;
  client_body_temp_path {work}/nginx-body;
  server {{
    listen 127.0.0.1:{port};
    root {root};
    client_max_body_size 0;
    dav_methods PUT DELETE MKCOL COPY MOVE;
    {dav_ext}
    create_full_put_path on;
    autoindex off;
  }}
}}
"""


def ensure_nginx() -> Path | None:
    """The dav-ext module (for PROPFIND), installing nginx with apt-get when needed."""
    module = Path("/usr/lib/nginx/modules/ngx_http_dav_ext_module.so")
    if shutil.which("nginx") is None or not module.exists():
        if os.geteuid() != 0:
            raise SystemExit("nginx is missing: run this benchmark as root to install it")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "nginx", "libnginx-mod-http-dav-ext"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return module if module.exists() else None


@contextmanager
def nginx(work: Path, big: Path, small: Path) -> Iterator[Server]:
    module = ensure_nginx()
    root = work / "nginx-root"
    root.mkdir()
    shutil.copy(big, root / "big.bin")
    shutil.copytree(small, root / "small")
    (work / "nginx-body").mkdir()
    port = free_port()
    conf = work / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            work=work,
            port=port,
            root=root,
            modules=f"load_module {module};" if module else "",
            dav_ext="dav_ext_methods PROPFIND OPTIONS;" if module else "",
        )
    )
    process = subprocess.Popen(["nginx", "-c", str(conf)])
    try:
        wait_for_port(port)
        yield Server("nginx", f"http://127.0.0.1:{port}", None, process)
    finally:
        process.terminate()
        process.wait(timeout=30)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def memory_while_moving(server: Server, work: Path, gib: int) -> tuple[float, float]:
    """Baseline RSS and peak growth (MiB) while a file of ``gib`` GiB is PUT, GET and MOVEd."""
    huge = work / "huge.bin"
    with huge.open("wb") as out:
        block = os.urandom(CHUNK)
        for _ in range(gib * 1024):
            out.write(block)
    baseline = rss_mib(server.process.pid)
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_mib(server.process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        curl([*auth_args(server), "-T", str(huge), f"{server.base}/huge.bin"])
        curl([*auth_args(server), f"{server.base}/huge.bin"])
        with httpx.Client(auth=server.auth, timeout=600) as client:
            client.request(
                "MOVE",
                f"{server.base}/huge.bin",
                headers={"Destination": f"{server.base}/moved.bin"},
            )
    finally:
        done.set()
        sampler.join()
        huge.unlink()
    return baseline, peak - baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big-mib", type=int, default=200)
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--move-gib", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--compare-fsync",
        type=int,
        metavar="ROUNDS",
        default=0,
        help="only PUT the big file ROUNDS times to two Hamkars, fsync on and off, alternating",
    )
    parser.add_argument(
        "--no-fsync",
        action="store_true",
        help="Hamkar without fsync of new bodies, like wsgidav's and nginx's plain writes",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hamkar-bench-", dir="/tmp"))
    work.chmod(0o755)
    try:
        if args.compare_fsync:
            big, _small = make_data(work, args.big_mib, 0)
            compare_fsync(work, big, args.compare_fsync)
            return
        big, small = make_data(work, args.big_mib, args.small)
        results: list[Server] = []
        with hamkar(work, fsync=not args.no_fsync) as server:
            put_tree(server.base, server.auth, big, small)
            measure(server, big, args.runs)
            baseline, growth = memory_while_moving(server, work, args.move_gib)
            server.figures.update(rss=baseline, growth=growth)
            results.append(server)
        with wsgidav(work, big, small) as server:
            measure(server, big, args.runs)
            results.append(server)
        with nginx(work, big, small) as server:
            measure(server, big, args.runs)
            results.append(server)
        report(results, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def compare_fsync(work: Path, big: Path, rounds: int) -> None:
    """PUT MB/s with HAMKAR_FILES_FSYNC on and off: two servers at once, PUTs alternating
    between them so both see the same machine load; prints the medians."""
    size = big.stat().st_size
    rates: dict[str, list[float]] = {"on": [], "off": []}
    with hamkar(work, True, "fsync-on") as on, hamkar(work, False, "fsync-off") as off:
        for index in range(rounds):
            order = [("on", on), ("off", off)]
            for label, server in order if index % 2 == 0 else order[::-1]:
                url = f"{server.base}/put-{index}.bin"
                rates[label].append(size / curl([*auth_args(server), "-T", str(big), url]) / MB)
    print(f"\nPUT of a {size / MB:.0f} MB file, {rounds} rounds alternating, MB/s")
    for label, values in rates.items():
        print(
            f"fsync {label:<4} median {statistics.median(values):>6.0f}   "
            + " ".join(f"{value:.0f}" for value in values)
        )


def report(results: list[Server], args: argparse.Namespace) -> None:
    print(
        f"\nWebDAV, {args.big_mib} MiB file, folder of {args.small} files, best of {args.runs}"
        f"; hamkar fsync {'off' if args.no_fsync else 'on'}"
    )
    print(f"{'server':<10}{'GET MB/s':>12}{'PUT MB/s':>12}{'PROPFIND ms':>14}")
    for server in results:
        f = server.figures
        print(f"{server.name:<10}{f['get']:>12.0f}{f['put']:>12.0f}{f['propfind']:>14.1f}")
    by = {server.name: server.figures for server in results}
    ham, dav = by["hamkar"], by["wsgidav"]
    print(
        f"\nhamkar vs wsgidav: GET x{ham['get'] / dav['get']:.2f} (target >= 2), "
        f"PUT x{ham['put'] / dav['put']:.2f} (target >= 1), "
        f"PROPFIND x{dav['propfind'] / ham['propfind']:.2f} faster (target >= 5)"
    )
    print(
        f"hamkar memory: {ham['rss']:.0f} MiB at rest, +{ham['growth']:.1f} MiB peak while a "
        f"{args.move_gib} GiB file went up, down and was moved (target < 50)"
    )


if __name__ == "__main__":
    main()
