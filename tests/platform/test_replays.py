"""Frame counters: a replayed LoRaWAN frame is caught even under a new deduplication id, a
rejoin starts counting afresh, and late frames delivered out of order are kept."""

from __future__ import annotations

import psycopg
import pytest
from direct_ingest import classifier_for, store
from lorawan import chirpstack_join, chirpstack_uplink
from registry_seed import sample_container

from tilsyn.platform.containers.store import register_container
from tilsyn.platform.ingest.classify import Classifier
from tilsyn.platform.ingest.directory import DeviceDirectory
from tilsyn.platform.ingest.writer import BatchResult

pytestmark = pytest.mark.integration
DEV_EUI = "24e124713b0000aa"
VECTOR = "01755C03824408040001"


@pytest.fixture
def classifier(database_url: str) -> Classifier:
    with psycopg.connect(database_url) as conn:
        register_container(conn, sample_container("R1", DEV_EUI))
    return classifier_for(database_url)


def _store(database_url: str, classifier: Classifier, *messages: tuple[str, bytes]) -> BatchResult:
    return store(database_url, *messages, classifier=classifier)


def test_a_replayed_frame_is_dead_lettered_with_its_reason(
    database_url: str, classifier: Classifier
) -> None:
    first = _store(database_url, classifier, chirpstack_uplink(DEV_EUI, VECTOR, f_cnt=7))
    replay = _store(database_url, classifier, chirpstack_uplink(DEV_EUI, VECTOR, f_cnt=7))
    assert (first.stored, replay.stored, replay.dead_letters) == (1, 0, 1)
    with psycopg.connect(database_url) as conn:
        (reason,) = conn.execute("SELECT reason FROM dead_letters").fetchone() or ("",)
    assert reason == f"replayed frame: fCnt 7 of {DEV_EUI} was stored before under another id"


def test_after_a_rejoin_low_counters_are_new_frames(
    database_url: str, classifier: Classifier
) -> None:
    _store(
        database_url,
        classifier,
        chirpstack_uplink(DEV_EUI, VECTOR, f_cnt=1),
        chirpstack_uplink(DEV_EUI, VECTOR, f_cnt=2),
    )
    after = _store(
        database_url,
        classifier,
        chirpstack_join(DEV_EUI),
        chirpstack_uplink(DEV_EUI, VECTOR, f_cnt=1),
    )
    assert (after.stored, after.dead_letters) == (2, 0)
    restarted = DeviceDirectory(database_url)
    restarted.load()  # the session survives a restart of ingest
    assert restarted.session(DEV_EUI) == classifier._directory.session(DEV_EUI) > 0


def test_a_rejoin_taken_by_another_ingest_worker_starts_a_session_here_too(
    database_url: str, classifier: Classifier
) -> None:
    """Two workers share the stream: one takes the join event, the other the new session's
    first frames, whose counters were already used in the old session."""
    other_worker = classifier_for(database_url)
    old_session = [chirpstack_uplink(DEV_EUI, VECTOR, f_cnt=n) for n in (1, 2, 3)]
    assert _store(database_url, classifier, *old_session).stored == 3
    assert _store(database_url, other_worker, chirpstack_join(DEV_EUI)).stored == 1
    new_session = [chirpstack_uplink(DEV_EUI, VECTOR, f_cnt=n) for n in (1, 2)]
    after = _store(database_url, classifier, *new_session)
    assert (after.stored, after.dead_letters) == (2, 0)
    replayed = _store(database_url, classifier, chirpstack_uplink(DEV_EUI, VECTOR, f_cnt=2))
    assert (replayed.stored, replayed.dead_letters) == (0, 1), "still a replay in the new one"


def test_frames_delivered_out_of_order_are_all_kept(
    database_url: str, classifier: Classifier
) -> None:
    result = _store(
        database_url,
        classifier,
        *(chirpstack_uplink(DEV_EUI, VECTOR, f_cnt=n) for n in (10, 12, 11, 9)),
    )
    assert (result.stored, result.dead_letters) == (4, 0)


def test_an_oversized_message_is_dead_lettered_whole(
    database_url: str, classifier: Classifier
) -> None:
    topic, body = chirpstack_uplink(DEV_EUI, VECTOR, f_cnt=3)
    padded = body[:-1] + b', "padding": "' + b"x" * (1024 * 1024) + b'"}'
    result = _store(database_url, classifier, (topic, padded))
    assert result.dead_letters == 1
    with psycopg.connect(database_url) as conn:
        reason, size = conn.execute("SELECT reason, length(payload) FROM dead_letters").fetchone()  # type: ignore[misc]
    assert reason.startswith("oversized:") and size == len(padded)
