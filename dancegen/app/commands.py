"""``dancegen serve``: the local web app (see :mod:`dancegen.app.server`)."""
from __future__ import annotations

import argparse
import ipaddress
import sys

from ..errors import ConfigError

EPILOG = """examples:
  dancegen serve                          # then open http://127.0.0.1:7860/
  dancegen serve --port 8000
  dancegen serve --host 0.0.0.0           # reachable from other machines: only on a trusted network
"""


def register(subparsers) -> None:
    from ..cliargs import port

    p = subparsers.add_parser(
        "serve", help="a local web page: drop music, get a dance to watch and download",
        description="Start a local web app: drop a music file, choose genre, seed, start and duration "
                    "(and the 3D generator's temperature and camera when it has them), watch the dance "
                    "in the player next to its music, download mp4, npz, BVH and OpenPose JSON. "
                    "Nothing is fetched from the internet by the page. Uploads live in a temporary "
                    "folder removed when the server stops.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=port, default=7860, help="TCP port, 1 to 65535 (default 7860)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--work-dir", metavar="DIR", help="keep uploads and results here instead of a temp folder")
    p.set_defaults(func=run)


def run(args) -> int:
    if not 0 < args.port < 65536:
        raise ConfigError(f"--port {args.port}: use 1 to 65535")
    try:
        import fastapi  # noqa: F401
        import multipart  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        raise ConfigError(f"dancegen serve needs {e.name}: pip install fastapi uvicorn python-multipart") from None
    import socket

    from .server import serve

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((args.host, args.port))
        except OSError as e:
            raise ConfigError(f"cannot listen on {args.host}:{args.port} ({e.strerror}); "
                              f"pass another --port or --host") from None
    try:
        local = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        local = args.host == "localhost"
    if not local:
        print(f"dancegen serve: listening on {args.host}: anyone who can reach this machine can use it",
              file=sys.stderr)
    shown = args.host if ":" not in args.host else f"[{args.host}]"
    print(f"dancegen serve: open http://{shown}:{args.port}/  (Ctrl+C to stop)", file=sys.stderr)
    serve(host=args.host, port=args.port, work_dir=args.work_dir)
    return 0
