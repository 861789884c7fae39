"""A Bazel workspace of a test's own, run by a second Bazel server (the build environment's bazel,
its own output base), for tests of module extensions and repository rules in a real build.

The test must run unsandboxed (tag `no-sandbox`): that server sandboxes its own actions.
"""

from __future__ import annotations

import os
import shutil
import subprocess

# What `bazel test` sets for the test itself; the inner Bazel must not take it for its own.
_TEST_ENVIRONMENT = ("TEST_", "BUILD_", "RUNFILES", "JAVA_RUNFILES")


def bazel_or_none() -> str | None:
    """The bazel on PATH (the build environment's), if any."""
    return shutil.which("bazel")


def java_truststore(ca_cert: str, path: str) -> str:
    """A PKCS12 trust store holding only `ca_cert`, for a Bazel server that must trust a test CA."""
    subprocess.run(["keytool", "-importcert", "-noprompt", "-alias", "test-ca", "-file", ca_cert, "-keystore", path,
                    "-storetype", "PKCS12", "-storepass", "changeit"], check=True, capture_output=True)
    return path


class BazelWorkspace:
    """`root` (holding MODULE.bazel) built by a server of its own under `output_root`; with
    `truststore`, the server trusts only that store's CAs (for HTTPS mirrors on 127.0.0.1)."""

    def __init__(self, root: str, output_root: str, *, bazel: str = "bazel", truststore: str | None = None) -> None:
        self.root, self._bazel = root, bazel
        self._startup = [f"--output_user_root={output_root}", "--max_idle_secs=60"]
        if truststore:
            self._startup += [f"--host_jvm_args=-Djavax.net.ssl.trustStore={truststore}",
                              "--host_jvm_args=-Djavax.net.ssl.trustStorePassword=changeit",
                              "--host_jvm_args=-Djavax.net.ssl.trustStoreType=PKCS12"]

    def write(self, files: dict[str, str]) -> None:
        for name, content in files.items():
            with open(os.path.join(self.root, name), "w", encoding="utf-8") as f:
                f.write(content)

    def run(self, command: str, *args: str, repository_cache: str) -> subprocess.CompletedProcess:
        """`bazel <command> --repository_cache=... ARGS` (builds with local spawns: the test is
        unsandboxed already)."""
        return subprocess.run(
            [self._bazel, *self._startup, command, f"--repository_cache={repository_cache}",
             *(["--spawn_strategy=local"] if command == "build" else []), *args],
            cwd=self.root, capture_output=True, text=True, timeout=600,
            env={k: v for k, v in os.environ.items() if not k.startswith(_TEST_ENVIRONMENT)})

    def shutdown(self) -> None:
        subprocess.run([self._bazel, *self._startup, "shutdown"], cwd=self.root, capture_output=True, timeout=120)
