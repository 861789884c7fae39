"""task_builder: builds federated task descriptions.

    task_builder [--port N] [--host H]     serve HTTP (POST /tasks, GET /healthz)
    task_builder --stdin                   read one request on stdin, print the description

Runtime options also come from the FCP_OPTS environment variable (same syntax as the command
line), which is how a TEE launch policy passes them: nothing run-time is baked into the image.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys

from shuffler.services.taskbuilder import server, task_builder_lib


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="task_builder", description=__doc__.splitlines()[0])
    parser.add_argument("--stdin", action="store_true", help="build one task from the request on stdin")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8080)
    # FCP_OPTS first, so the command line can override it.
    return parser.parse_args(shlex.split(os.environ.get("FCP_OPTS", "")) + argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.stdin:
        try:
            description = task_builder_lib.handle(sys.stdin.buffer.read())
        except task_builder_lib.BadRequest as e:
            print(f"task_builder: bad request: {e}", file=sys.stderr)
            return 2
        print(json.dumps(description, sort_keys=True))
        return 0
    server.serve(args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
