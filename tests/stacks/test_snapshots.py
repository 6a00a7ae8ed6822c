"""One snapshot per stack and deployment. Update only on purpose (`pytest --snapshot-update`)
and read the diff like code; the assertions of intent live in the other test modules."""

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from tests.conftest import SYNTH_DEPLOYMENTS, Synthesized, normalized


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("deployment", sorted(SYNTH_DEPLOYMENTS))
@pytest.mark.parametrize("stack", ["stateful", "inference"])
def test_template_snapshot(
    synthesized: dict[str, Synthesized], deployment: str, stack: str, snapshot_json: SnapshotAssertion
) -> None:
    template = getattr(synthesized[deployment], stack).to_json()
    assert normalized(template) == snapshot_json
