"""jar_extract: copies entries out of a jar (a prebuilt native library shipped in a Maven jar).

    jar_extract --jar libtensorflow_jni-1.15.0.jar \\
        --entry org/tensorflow/native/linux-x86_64/libtensorflow_jni.so=out/libtensorflow_jni.so

Each output gets exactly the entry's bytes (checked against the jar's CRC-32 and size), streamed;
nothing of the jar's own metadata (times, modes) is kept: the layer writer decides those.
Outputs appear atomically or not at all; bad input is one line, `jar_extract: error: ...`.
"""

from __future__ import annotations

from typing import Sequence

from absl import flags

from tools.bootjar.jars import InputJar
from tools.common import atomic
from tools.common.errors import UserError, run_cli

TOOL = "jar_extract"

_JAR = flags.DEFINE_string("jar", None, "The jar to read.")
_ENTRY = flags.DEFINE_multi_string("entry", [], "ENTRY=OUTPUT: copy the jar entry ENTRY to OUTPUT (repeatable).")


def main(argv: Sequence[str]) -> int:
    if not _JAR.value or not _ENTRY.value:
        raise UserError("--jar and at least one --entry are required")
    pairs = []
    for value in _ENTRY.value:
        entry, sep, output = value.partition("=")
        if not sep or not entry or not output:
            raise UserError(f"--entry {value!r}: expected ENTRY=OUTPUT")
        atomic.check_replaceable(output)
        pairs.append((entry, output))
    with InputJar(_JAR.value, "jar") as jar:
        for entry, _ in pairs:
            if entry not in jar:
                near = sorted(n for n in jar.names() if n.rsplit("/", 1)[-1] == entry.rsplit("/", 1)[-1])
                hint = f"; it holds {near[0]!r}" if near else ""
                raise UserError(f"jar {_JAR.value} has no entry {entry!r}{hint}")
        for entry, output in pairs:
            with atomic.atomic_binary_output(output) as out:
                jar.copy_to(entry, out)
    return 0


if __name__ == "__main__":
    run_cli(TOOL, main)
