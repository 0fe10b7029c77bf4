"""Command line: `python -m entitylist render|preview|update|fetch|check`."""

import argparse
import sys
from pathlib import Path

from entitylist import paths
from entitylist.data import manifest
from entitylist.errors import DeskError


def key_value(text: str) -> tuple[str, str]:
    """Split a -p key=value argument at its first '='."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        msg = f"-p {text!r}: expected key=value"
        raise argparse.ArgumentTypeError(msg)
    return key.strip(), value


def parser() -> argparse.ArgumentParser:
    """Build the argument parser."""
    top = argparse.ArgumentParser(prog="entitylist", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)

    render = commands.add_parser("render", help="run the notebooks and publish site/")
    render.add_argument("--as-of", default=None, help="render the story as it stood on YYYY-MM-DD")
    render.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run only this notebook (repeatable), e.g. 40-story",
    )
    render.add_argument("--force", action="store_true", help="run even if inputs are unchanged")
    render.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default 2)")
    render.add_argument(
        "-p",
        dest="params",
        action="append",
        type=key_value,
        default=[],
        metavar="KEY=VALUE",
        help="notebook parameter, typed and validated",
    )
    render.add_argument("--quiet", action="store_true", help="print errors only (for cron)")
    render.add_argument(
        "--output-root",
        type=Path,
        default=None,
        help="publish into this folder instead of the repository",
    )
    render.add_argument(
        "--dry-run", action="store_true", help="print what would run and why; run nothing"
    )
    render.add_argument(
        "--no-wait",
        dest="wait",
        action="store_false",
        help="refuse at once if another render is running, instead of waiting for it",
    )
    render.add_argument(
        "--allow-removals",
        action="store_true",
        help="publish even if a processed table lost rows since the last published render",
    )
    render.add_argument(
        "--pipeline", type=Path, default=paths.PIPELINE, help="the pipeline.yaml to render"
    )

    preview = commands.add_parser(
        "preview", help="serve site/, re-render on every change, reload the page"
    )
    preview.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (8000)")
    preview.add_argument(
        "--output-root", type=Path, default=None, help="render and serve this folder's site/"
    )
    preview.add_argument(
        "--pipeline", type=Path, default=paths.PIPELINE, help="the pipeline.yaml to render"
    )
    preview.add_argument(
        "--no-resume",
        dest="resume",
        action="store_false",
        help="run a changed notebook from the top, not from its first changed cell",
    )

    fetch = commands.add_parser("fetch", help="download a new raw snapshot from live sources")
    fetch.add_argument("--since", default="2016-01-01", help="first publication date to fetch")
    fetch.add_argument(
        "--allow-removals",
        action="store_true",
        help="consent to the entries the fetched list drops (the refusal lists them)",
    )
    fetch.add_argument(
        "--allow-count-change",
        action="store_true",
        help="consent to a fetched list whose entry count moves by more than 10%%",
    )

    update = commands.add_parser(
        "update", help="take in a changed source pack as a new dated snapshot of data/raw"
    )
    update.add_argument("pack", type=Path, help="folder of the source pack, e.g. ../shared/data")
    update.add_argument("--retrieved", default=None, help="retrieval date to record (YYYY-MM-DD)")
    update.add_argument(
        "--allow-removals",
        action="store_true",
        help="consent to the removals this update makes (the report lists them)",
    )
    update.add_argument(
        "--allow-count-change",
        action="store_true",
        help="consent to a screening-list edition whose entry count moves by more than 10%%",
    )
    update.add_argument(
        "--dry-run", action="store_true", help="report what would change; write nothing"
    )

    commands.add_parser(
        "check", help="verify data/raw against its manifest (finishing a stopped update)"
    )
    return top


def main(argv: list[str] | None = None) -> int:
    """Run a command; print desk errors as one plain line and exit non-zero."""
    args = parser().parse_args(argv)
    try:
        if args.command == "render":
            # lazy: each command imports only what it runs (the render engine, or pandas for
            # fetch and update), so `--help` and a no-op render start fast.
            from entitylist.engine.render import render

            if args.jobs < 1:
                msg = f"--jobs {args.jobs}: must be 1 or more"
                raise DeskError(msg)
            render(
                as_of=args.as_of,
                only=args.only,
                force=args.force,
                jobs=args.jobs,
                overrides=dict(args.params),
                quiet=args.quiet,
                output_root=args.output_root,
                allow_removals=args.allow_removals,
                dry_run=args.dry_run,
                wait=args.wait,
                pipeline=args.pipeline.resolve(),
            )
        elif args.command == "preview":
            # lazy: as for render above.
            from entitylist.engine import preview

            preview.main(args.port, args.output_root, args.pipeline, args.resume)
        elif args.command == "fetch":
            # lazy: as for render above.
            from entitylist.data import fetch

            written = fetch.refresh(
                since=args.since,
                allow_removals=args.allow_removals,
                allow_count_change=args.allow_count_change,
            )
            print(f"wrote {len(written)} files to data/raw/live", file=sys.stderr)
        elif args.command == "update":
            # lazy: as for render above.
            from entitylist.data import update

            report = update.update(
                args.pack,
                retrieved=args.retrieved,
                allow_removals=args.allow_removals,
                dry_run=args.dry_run,
                allow_count_change=args.allow_count_change,
            )
            print(report.text(), file=sys.stderr)
            for path in report.written:
                print(f"wrote {path}", file=sys.stderr)
        elif args.command == "check":
            finished = manifest.finish(paths.RAW)
            if finished:
                print(f"data/raw: {finished}", file=sys.stderr)
            count = manifest.verify_manifest(paths.RAW)
            print(f"data/raw: {count} files match the manifest", file=sys.stderr)
    except DeskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # `render --dry-run | head`: the reader has seen enough.
        return 0
    except OSError as exc:
        # A filesystem fault (permissions, a full disk): name the path, not the stack.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; the last good outputs are unchanged", file=sys.stderr)
        return 130
    return 0
