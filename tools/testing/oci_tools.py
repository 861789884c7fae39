"""Independent checks of the images we build: skopeo, umoci, and running an entrypoint.

Test support only. Every image test goes through these helpers so that "what skopeo says" and
"what runs" are checked the same way everywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from typing import Sequence

from tools.common import oci


def _copy_layout(layout: str, tmp: str) -> str:
    """A writable copy of a layout (umoci takes a lock inside it; Bazel outputs are read-only)."""
    copy = os.path.join(tmp, "layout-" + os.path.basename(layout.rstrip("/")))
    if not os.path.exists(copy):
        shutil.copytree(layout, copy, symlinks=False)
        for dirpath, _, filenames in os.walk(copy):
            os.chmod(dirpath, 0o755)
            for name in filenames:
                os.chmod(os.path.join(dirpath, name), 0o644)
    return copy


def skopeo_inspect(layout: str, tag: str = "latest", *, config: bool = False) -> dict:
    args = ["skopeo", "inspect"] + (["--config"] if config else []) + [f"oci:{layout}:{tag}"]
    return json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)


def skopeo_raw_manifest(layout: str, tag: str = "latest") -> bytes:
    return subprocess.run(["skopeo", "inspect", "--raw", f"oci:{layout}:{tag}"], check=True,
                          capture_output=True).stdout


def umoci_unpack(layout: str, dest: str, tag: str = "latest") -> str:
    """Unpacks the image into `dest` (an OCI runtime bundle); returns its rootfs path."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = _copy_layout(layout, tmp)
        subprocess.run(["umoci", "unpack", "--image", f"{copy}:{tag}", dest], check=True,
                       capture_output=True)
    return os.path.join(dest, "rootfs")


_ENTER_ROOTFS = (
    'set -e; root=$1; cwd=$2; uid=$3; gid=$4; shift 4; '
    'mkdir -p "$root/proc" "$root/dev" "$root/tmp"; '
    'mount -t proc proc "$root/proc"; '
    'mount -t tmpfs tmpfs "$root/dev"; '
    'for d in null zero random urandom; do touch "$root/dev/$d"; mount --bind "/dev/$d" "$root/dev/$d"; done; '
    'if [ "$uid:$gid" = 0:0 ]; then exec unshare --root="$root" --wd="$cwd" "$@"; fi; '
    'exec unshare --root="$root" --wd="$cwd" --setuid "$uid" --setgid "$gid" "$@"'
)


def _rootfs_command(rootfs: str, argv: Sequence[str], cwd: str, user: str) -> list[str]:
    # New mount and PID namespaces: proc and a minimal /dev for the program, nothing of the host's
    # file system visible, and every process of the program gone when it exits.
    uid, _, gid = (user or "0").partition(":")
    if not uid.isdigit() or not (gid or uid).isdigit():
        raise ValueError(f"user {user!r}: only numeric uid[:gid] can be entered without the image's passwd")
    return ["unshare", "--mount", "--pid", "--fork", "--propagation", "private", "/bin/sh", "-c",
            _ENTER_ROOTFS, "run", rootfs, cwd, uid, gid or uid] + list(argv)


def run_in_rootfs(rootfs: str, argv: Sequence[str], *, env: dict[str, str] | None = None,
                  cwd: str = "/", user: str = "0", timeout: float = 60,
                  input: bytes | None = None) -> subprocess.CompletedProcess:
    """Runs argv inside `rootfs` as its root, with exactly `env` (no PATH unless given)."""
    return subprocess.run(_rootfs_command(rootfs, argv, cwd, user), env=dict(env or {}), capture_output=True,
                          timeout=timeout, input=input)


def start_in_rootfs(rootfs: str, argv: Sequence[str], *, env: dict[str, str] | None = None,
                    cwd: str = "/", user: str = "0") -> subprocess.Popen:
    """Like run_in_rootfs, for a server: returns the running process (kill its group to stop it)."""
    return subprocess.Popen(_rootfs_command(rootfs, argv, cwd, user), env=dict(env or {}), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)


def layer_paths(blob: str) -> list[str]:
    """Member names of a layer blob (any compression tarfile reads), in archive order; directories
    end in "/"."""
    import tarfile

    with tarfile.open(blob, "r:*") as tar:
        return [m.name + "/" if m.isdir() else m.name for m in tar]


def layout_layers(layout: str, tag: str = "latest") -> list[str]:
    """Paths of the layer blobs of the image in `layout`, in image order (the project's layout
    reader; skopeo_inspect is the independent check)."""
    image = oci.resolve_image(oci.Layout.open(layout, "image"), tag=tag)
    return [image.layout.blob_path(layer.digest) for layer in image.layers]
