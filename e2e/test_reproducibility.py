"""Every service image's digest equals the committed expectation (e2e/expected_hashes.json).

When one does not, the failure explains it against the committed description of the expected
image (e2e/expected/<name>.jsonl): first differing layer, first differing file, which field.
"""

from __future__ import annotations

import pytest

from e2e import reproducibility
from tools.image import description

EXPECTED = reproducibility.read_hashes(reproducibility.EXPECTED_HASHES, "expected digests")
BUILT = reproducibility.read_hashes(reproducibility.RELEASE_MANIFEST, "release manifest")
LAYOUTS = reproducibility.images()


def test_every_service_image_has_an_expectation():
    assert sorted(BUILT) == sorted(LAYOUTS)
    missing = sorted(set(BUILT) - set(EXPECTED))
    gone = sorted(set(EXPECTED) - set(BUILT))
    assert not missing, f"images without an expected digest: {missing}; add them with {reproducibility.UPDATE_COMMAND}"
    assert not gone, f"expected images no longer built: {gone}; remove them with {reproducibility.UPDATE_COMMAND}"


@pytest.mark.parametrize("name", sorted(BUILT))
def test_digest_matches_expectation(name):
    if name not in EXPECTED or BUILT[name] == EXPECTED[name]:
        return
    explanation = description.explain_against(reproducibility.description_path(name), LAYOUTS[name])
    pytest.fail(
        f"{name}: built {BUILT[name]}, expected {EXPECTED[name]}\n{explanation.render()}\n"
        f"If this change is intended, record it with {reproducibility.UPDATE_COMMAND}",
        pytrace=False,
    )
