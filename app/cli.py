"""The ``hamkar`` command: serve, migrate, mailstack, demo, admin."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from app.settings import Settings

Handler = Callable[[Settings, argparse.Namespace], int]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    handler: Handler = args.handler
    try:
        return handler(Settings(), args)
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hamkar", description="Hamkar webmail and groupware")
    commands = parser.add_subparsers(metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web server")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler=_serve)

    migrate = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate.add_argument("--revision", default="head")
    migrate.add_argument("--down", metavar="REVISION", help="downgrade to REVISION instead")
    migrate.set_defaults(handler=_migrate)

    stack = commands.add_parser("mailstack", help="the loopback Dovecot + Postfix mail stack")
    stack_commands = stack.add_subparsers(metavar="ACTION", required=True)
    for action in ("start", "stop", "status", "install-deps"):
        stack_commands.add_parser(action).set_defaults(handler=_mailstack, action=action)
    adduser = stack_commands.add_parser("adduser", help="add or update a mail user")
    adduser.add_argument("email")
    adduser.add_argument("password")
    adduser.add_argument("--quota", help="e.g. 500M or 2G")
    adduser.set_defaults(handler=_mailstack, action="adduser")

    from app.cli_admin import add_parser as add_admin_parser

    add_admin_parser(commands)

    demo = commands.add_parser("demo", help="create the demo organization and its mail users")
    demo.set_defaults(handler=_demo)
    return parser


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers,
        proxy_headers=False,
        # h11 keeps a #fragment in the Request-URI so /webdav/ can refuse it (httptools drops it).
        http="h11",
        server_header=False,
        # Live mail streams end at once on a stop (app/web/exit_signals.py); anything else
        # still running after this long (a stuck upload) must not hold a restart forever.
        timeout_graceful_shutdown=30,
    )
    return 0


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from app import migrate

    if args.down:
        migrate.downgrade(settings, args.down)
    else:
        migrate.upgrade(settings, args.revision)
    print(f"database at {_redacted(settings.effective_database_url)} is up to date")
    return 0


def _mailstack(settings: Settings, args: argparse.Namespace) -> int:
    from app.mailstack import MailStack, MailStackError

    stack = MailStack(settings)
    try:
        if args.action == "start":
            # managed mode: Dovecot and Postfix read the views the migrations create
            from app import migrate

            migrate.upgrade(settings)
            print(stack.start().rstrip())
        elif args.action == "stop":
            stack.stop()
        elif args.action == "install-deps":
            stack.install_deps()
        elif args.action == "adduser":
            stack.add_user(args.email, args.password, quota=args.quota)
        else:
            print(stack.status_text())
            return 0 if stack.status() else 3
    except MailStackError as exc:
        print(f"hamkar mailstack {args.action}: {exc}", file=sys.stderr)
        return 1
    return 0


def _demo(settings: Settings, _args: argparse.Namespace) -> int:
    from app.cli_demo import create_demo

    return create_demo(settings)


def _redacted(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rpartition("@")[2]
    return scheme + sep + rest
