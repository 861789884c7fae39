"""Putting existing blobs into an output layout without reading them when a link will do."""

from __future__ import annotations

import os
import shutil

from tools.common.errors import UserError


def place_blob(src_real: str, dst: str) -> str:
    """Hard-links `src_real` (a symlink-free path) to `dst`, or copies it when linking fails.

    Returns "link" or "copy". Linking keeps assembly time independent of blob size; the copy
    covers outputs on another device and filesystems or sandboxes that refuse hard links.
    """
    try:
        os.link(src_real, dst)
        return "link"
    except OSError:
        pass
    try:
        # copyfile streams (sendfile on Linux); it never holds the blob in memory.
        shutil.copyfile(src_real, dst)
    except OSError as e:
        raise UserError(f"cannot copy blob {src_real} to {dst}: {e.strerror}") from None
    return "copy"
