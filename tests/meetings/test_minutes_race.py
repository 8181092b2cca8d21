"""Two approvals racing: the minutes row is locked and re-read, exactly one wins."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from meetings import services
from meetings.models import Minutes, MinutesStatus, MinutesVersion

from .conftest import MINUTES, make_meeting


# Serialized rollback: the flush at the end leaves the content types for the next
# transactional test to reload; the member states come back through `network`.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("restore_migration_data")
def test_of_two_approvals_racing_exactly_one_wins_and_the_other_is_told(network):
    meeting = make_meeting(network.officer, network.adgsom, days=-2, status="held")
    services.create_minutes_version(meeting, by=network.officer, text=MINUTES)
    services.submit_minutes(meeting.minutes, by=network.officer)

    barrier = threading.Barrier(2)
    results: list[str] = []
    lock = threading.Lock()

    def approve() -> None:
        minutes = Minutes.objects.select_related("meeting__body").get(pk=meeting.minutes.pk)
        barrier.wait()
        try:
            services.approve_minutes(minutes, by=network.chair)
            outcome = "approved"
        except ValidationError as exc:
            outcome = exc.messages[0]
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert len(results) == 2
    assert results.count("approved") == 1
    loser = next(r for r in results if r != "approved")
    assert loser.startswith("These minutes were approved already (Rev.1, by Chandra Chair")
    assert Minutes.objects.get(pk=meeting.minutes.pk).status == MinutesStatus.APPROVED
    version = MinutesVersion.objects.get(minutes__meeting=meeting)
    assert version.history.filter(history_change_reason__startswith="Approved").count() == 1
