"""python -m devkit <command>: demo, serve, send, events, resign, deployed, rehearse, plan (see docs/development.md)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devkit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo_command = commands.add_parser(
        "demo", help="send every sample through the handler on an emulated stack; print a table"
    )
    serve = commands.add_parser("serve", help="serve the handler over HTTP on 127.0.0.1, backed by the moto server")
    for command in (demo_command, serve):
        command.add_argument(
            "--mode",
            choices=["standard", "fifo"],
            default="standard",
            help="the stack's DeliveryMode (default standard)",
        )
    serve.add_argument("--port", type=int, default=3000, help="HTTP port of the webhook endpoint (default 3000)")
    serve.add_argument("--aws-port", type=int, default=5000, help="port of the moto server (default 5000)")
    serve.add_argument("--secret", default=None, help="signing secret to accept (default: the local one)")
    serve.add_argument("--logs", action="store_true", help="also print the function's JSON log lines")
    send = commands.add_parser("send", help="post a signed sample event or JSON payload to a URL")
    send.add_argument("file", help="an events/*.json API Gateway event, or a JSON payload")
    send.add_argument("--url", default="http://127.0.0.1:3000/webhooks/bettermode")
    send.add_argument("--secret", default=None, help="signing secret (default: the local one)")
    send.add_argument("--family", choices=["bettermode", "tribe"], default="bettermode", help="signature headers")
    send.add_argument("--fresh-id", action="store_true", help="give the event a new data.id, so it is not a duplicate")
    commands.add_parser("reliability", help="inject a fault at every pipeline step; print what was lost or doubled")
    events = commands.add_parser("events", help="rewrite events/*.json stamped now and signed with the secret")
    events.add_argument("--secret", default=None, help="signing secret (default: the local one)")
    resign = commands.add_parser("resign", help="re-stamp and re-sign API Gateway event files in place")
    resign.add_argument("files", nargs="+")
    resign.add_argument("--secret", default=None, help="signing secret (default: the local one)")
    deployed = commands.add_parser("deployed", help="write the CloudFormation that sam deploy creates (offline)")
    deployed.add_argument("out", help="JSON file to write")
    deployed.add_argument(
        "--parameter-overrides",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="template parameters, as sam deploy takes them (e.g. DeliveryMode=fifo)",
    )
    _rehearse_options(commands)
    _plan_options(commands)
    args = parser.parse_args(argv)

    from devkit.samples import LOCAL_SECRET

    secret = getattr(args, "secret", None) or LOCAL_SECRET
    if args.command == "demo":
        from devkit import demo

        return demo.main(mode=args.mode)
    if args.command == "serve":
        from devkit import endpoint

        return endpoint.main(args.port, args.aws_port, secret, "INFO" if args.logs else "WARNING", args.mode)
    if args.command == "send":
        from devkit import sender

        return sender.main(args.file, args.url, secret, args.family, args.fresh_id)
    if args.command == "deployed":
        from devkit import deployed as deployed_template

        return deployed_template.main(args.out, deployed_template.overrides(args.parameter_overrides))
    if args.command == "rehearse":
        from devkit import rehearsal

        return rehearsal.main(rehearsal.yours(args.stack_name, args.region, args.parameter_overrides))
    if args.command == "plan":
        from pathlib import Path

        from devkit import plan

        return plan.main(
            config_file=Path(args.config_file),
            config_env=args.config_env,
            stack_name=args.stack_name,
            region=args.region,
            deployed=args.deployed,
            changes=args.changes,
            first=args.first,
            delete=args.delete,
            deployed_template=Path(args.deployed_template) if args.deployed_template else None,
            importers=[Path(path) for path in args.importer],
        )
    if args.command == "reliability":
        from devkit import reliability

        return reliability.main()
    if args.command == "events":
        from devkit.samples import write_events

        for path in write_events(secret):
            print(f"wrote {path.relative_to(path.parent.parent)}")
        return 0
    from devkit import sender

    return sender.resign_files(args.files, secret)


def _rehearse_options(commands: Any) -> None:
    rehearse = commands.add_parser(
        "rehearse",
        help="check the deployed template against CloudFormation's rules: every parameter set the project "
        "tests, or yours (any of the options below)",
    )
    rehearse.add_argument("--stack-name", default=None, help="the stack name you will deploy under")
    rehearse.add_argument("--region", default=None, help="the region you will deploy to")
    rehearse.add_argument(
        "--parameter-overrides", nargs="*", default=None, metavar="KEY=VALUE", help="your template parameters"
    )


def _plan_options(commands: Any) -> None:
    plan = commands.add_parser(
        "plan",
        help="what sam deploy or sam delete will do to the deployed stack: resources added, removed, replaced, "
        "exports changed, and every step CloudFormation or a service refuses",
    )
    plan.add_argument("changes", nargs="*", metavar="KEY=VALUE", help="the parameters you change")
    plan.add_argument("--config-file", default="samconfig.toml", help="SAM configuration file (default samconfig.toml)")
    plan.add_argument("--config-env", default="default", help="its environment the stack was deployed with")
    plan.add_argument("--stack-name", default=None, help="the stack's name (default: the configuration's)")
    plan.add_argument("--region", default=None, help="the stack's region (default: the configuration's)")
    plan.add_argument(
        "--deployed",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a parameter the stack was deployed with beyond the configuration's (repeat for each)",
    )
    plan.add_argument("--deployed-template", default=None, help="the template the stack was deployed from")
    plan.add_argument("--importer", action="append", default=[], help="a template of a stack that imports exports")
    which = plan.add_mutually_exclusive_group()
    which.add_argument("--first", action="store_true", help="plan a first deploy: what the stack will hold")
    which.add_argument("--delete", action="store_true", help="plan sam delete: what goes, what stays, what blocks")


if __name__ == "__main__":
    sys.exit(main())
