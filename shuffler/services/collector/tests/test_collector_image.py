"""The collector image: base + one application layer, and the service answering from it."""

from __future__ import annotations

import hashlib

from tools.testing import oci_tools, service_image

LAYOUT = "shuffler/services/collector/collector_image"
REPORTS = "/collector/v1/populations/keyboard/tasks/t7/reports"


image, service = service_image.fixtures(LAYOUT, "--max_report_bytes 64")


def _upload(service, data: bytes):
    return service.request("POST", REPORTS, data, content_type="application/octet-stream")


def test_two_layers_and_the_jar_where_the_entrypoint_looks(image):
    _, config = image
    assert len(oci_tools.layout_layers(LAYOUT)) == 2
    assert config["Entrypoint"] == ["java", "-XX:MaxRAMPercentage=75", "-jar", "/collector_application.jar"]


def test_health(service):
    assert service.get("/actuator/health").json() == {"status": "UP"}


def test_receipts_carry_the_digest_and_the_chain(service):
    reports = [b"client report one", b"\x00\x01 binary report two"]
    chain = bytes(32)
    for sequence, report in enumerate(reports, start=1):
        receipt = _upload(service, report).json()
        digest = hashlib.sha256(report).digest()
        chain = hashlib.sha256(chain + digest).digest()
        assert receipt == {"population": "keyboard", "task": "t7", "sequence": sequence, "size": len(report),
                           "sha256": digest.hex(), "chain": chain.hex()}
    summary = service.get("/collector/v1/populations/keyboard/tasks/t7/summary").json()
    assert summary == {"reports": 2, "bytes": sum(map(len, reports)), "chain": chain.hex()}


def test_empty_and_oversized_reports_are_refused(service):
    assert _upload(service, b"").status == 400
    big = _upload(service, b"x" * 65)
    assert big.status == 413 and "the limit is 64" in big.json()["error"]
