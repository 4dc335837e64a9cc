"""`dlderive serve`: the local web app (check page, handout preview, JSON API) on uvicorn."""
from __future__ import annotations

import errno
import socket
import threading
import time
import webbrowser
from pathlib import Path

from ..check.limits import seconds_option
from ..errors import DlderiveError
from . import examples

INSTALL_HINT = "install it with: pip install 'dlderive[serve]'"


def register(subparsers) -> None:
    p = subparsers.add_parser("serve", help="a local web app: check a derivation as you type, preview handouts",
                              description="Serve the check page (/), the handout preview (/handout) and the JSON "
                                          "API (/api/check, /api/derive, /api/list) on this machine.",
                              epilog=examples("dlderive serve --open", "dlderive serve --handouts derivations",
                                              "dlderive serve --port 8080 --workers 4"))
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0: any free port)")
    p.add_argument("--open", action="store_true", help="open the check page in a web browser")
    p.add_argument("--handouts", metavar="DIR", help="the folder of handout TOML files the preview may read")
    p.add_argument("--workers", type=int, default=2, help="checker worker processes (default 2)")
    p.add_argument("--queue", type=int, default=100, help="requests that may wait for a worker (default 100); more get 503")
    p.add_argument("--wall", type=float, default=60.0, metavar="SECONDS",
                   help="wall-clock seconds a request may take before its worker is replaced (default 60)")
    p.add_argument("--timeout", type=seconds_option, metavar="SECONDS",
                   help="CPU seconds per relation before it is unverifiable (default: as dlderive check)")
    p.set_defaults(run=run)


def run(args) -> int:
    try:
        import uvicorn

        from ..serve.app import Settings, create_app
    except ImportError as exc:
        raise DlderiveError(f"dlderive serve needs {exc.name}, which is not installed; {INSTALL_HINT}") from None
    from ..check.limits import DEFAULT_TIMEOUT
    from ..check.timing import validated

    if not 0 <= args.port <= 65535:
        raise DlderiveError(f"--port must be between 0 and 65535 (got {args.port})")
    if args.workers < 1 or args.workers > 64:
        raise DlderiveError(f"--workers must be between 1 and 64 (got {args.workers})")
    if args.queue < 0:
        raise DlderiveError(f"--queue must be 0 or more (got {args.queue})")
    if not (args.wall > 0 and args.wall <= 3600):
        raise DlderiveError(f"--wall must be above 0 and at most 3600 seconds (got {args.wall})")
    timeout = validated(args.timeout if args.timeout is not None else DEFAULT_TIMEOUT, "--timeout")
    folder = None
    if args.handouts:
        folder = Path(args.handouts)
        if not folder.is_dir():
            raise DlderiveError(f"--handouts {args.handouts}: not a folder")
    hosts = ["127.0.0.1", "localhost", "[::1]"] + ([args.host] if args.host not in ("0.0.0.0", "::") else ["*"])
    app = create_app(Settings(handouts=folder, workers=args.workers, queue=args.queue, wall=args.wall,
                              timeout=timeout, hosts=hosts))
    sock = listening_socket(args.host, args.port)
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2, lifespan="on")
    server = uvicorn.Server(config)
    _when_ready(server, _url(sock, args.host), args.open)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # Ctrl-C is how a server is stopped: uvicorn has shut down cleanly
        pass
    except SystemExit:  # uvicorn exits when the app cannot start
        server.started = False
    finally:
        sock.close()
    if not server.started:
        raise DlderiveError(f"--host {args.host} --port {args.port}: the server could not start "
                            "(uvicorn's message is above)")
    return 0


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` as uvicorn binds it; every failure one line naming the option."""
    address = host.strip("[]")
    sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
    except OSError as exc:
        sock.close()
        reason = exc.strerror or str(exc)
        if isinstance(exc, socket.gaierror):
            raise DlderiveError(f"--host {host}: not an address or a name this machine can listen on ({reason})") from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise DlderiveError(f"--host {host}: not an address of this machine ({reason})") from None
        if exc.errno == errno.EADDRINUSE:
            raise DlderiveError(f"--port {port}: already in use on {host} (another server listens there); "
                                "choose another port, or --port 0 for any free one") from None
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise DlderiveError(f"--port {port}: permission denied on {host} (ports below 1024 need administrator "
                                "rights); choose a port from 1024 up, or --port 0 for any free one") from None
        raise DlderiveError(f"--host {host} --port {port}: cannot listen there ({reason})") from None
    return sock


def _url(sock: socket.socket, host: str) -> str:
    port = sock.getsockname()[1]
    shown = "127.0.0.1" if host.strip("[]") in ("0.0.0.0", "::") else host.strip("[]")
    return f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}/"


def _when_ready(server, url: str, open_browser: bool) -> None:
    """Once uvicorn serves: print the address, and open it in the user's web browser if asked."""
    def wait():
        while not server.started:
            if server.should_exit:
                return
            time.sleep(0.05)
        print(f"dlderive serve: {url}  (Ctrl-C stops)", flush=True)
        if open_browser:
            webbrowser.open(url)

    threading.Thread(target=wait, daemon=True).start()
