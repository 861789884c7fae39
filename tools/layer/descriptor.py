"""What writing a layer produced: the values an OCI manifest and image config need."""

from __future__ import annotations

from dataclasses import dataclass

MEDIA_TYPES = {
    "none": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}


@dataclass(frozen=True)
class LayerDescriptor:
    """`digest`/`size` describe the bytes written (the blob); `diff_id` the uncompressed tar."""

    media_type: str
    digest: str
    size: int
    diff_id: str

    def to_json(self) -> dict:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size, "diffID": self.diff_id}
