"""The registry half of verification: where an ImageSource that reads each service's manifest
from a registry (and the SBOM and provenance attached to it as OCI 1.1 referrers) will live.

It needs the registry client's pull and referrers support (tools/registry, in progress on
another branch); until then `verify registry` says so in one line, and `verify layouts` checks
images copied locally (`skopeo copy docker://HOST/PATH@sha256:... oci:DIR/<service>`).
"""

from __future__ import annotations

from tools.common.errors import UserError


def source(repository_prefix: str):  # -> layouts.ImageSource
    raise UserError(f"verify registry {repository_prefix}: reading manifests from a registry needs tools/registry's "
                    "pull support, not in this tree yet; copy the images with skopeo into a directory and run "
                    "`verify layouts --layouts DIR`")
