"""Minutes: draft → circulated → submitted → approved (frozen) or returned → draft."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from meetings import services
from meetings.markup import paragraph_count, paragraphs, render
from meetings.models import MINUTES_MAX_CHARS, Minutes, MinutesStatus, MinutesVersion
from secretariat.models import Notification

from .conftest import MINUTES, make_meeting


def _deadline(days: int = 7) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


def test_the_secretariat_drafts_rev_1_once_the_meeting_was_held(network, held, scheduled):
    version = services.create_minutes_version(held, by=network.officer, text=MINUTES)
    assert (version.label, held.minutes.status) == ("Rev.1", MinutesStatus.DRAFT)
    with pytest.raises(ValidationError, match="once the meeting has been held"):
        services.create_minutes_version(scheduled, by=network.officer, text=MINUTES)


def test_a_draft_is_edited_in_place_not_forked(network, held):
    version = services.create_minutes_version(held, by=network.officer, text=MINUTES)
    services.edit_minutes_version(version, by=network.officer, text=MINUTES + "\nAdded.")
    with pytest.raises(ValidationError, match="still a draft: edit it"):
        services.create_minutes_version(held, by=network.officer, text=MINUTES)
    assert held.minutes.versions.count() == 1


def test_circulation_invites_comments_from_the_delegations(network, held):
    services.create_minutes_version(held, by=network.officer, text=MINUTES)
    services.circulate_minutes(held.minutes, by=network.officer, deadline=_deadline())
    held.minutes.refresh_from_db()
    assert held.minutes.status == MinutesStatus.CIRCULATED
    assert list(Notification.objects.filter(kind="minutes_circulated").values_list("address", flat=True)) == [
        "sgp@example.org"
    ]
    comment = services.comment_on_minutes(
        held.minutes, by=network.sgp, member_state=network.sgp.member_state, paragraph=2, text="Say 'welcomed'."
    )
    assert (comment.version.label, comment.paragraph) == ("Rev.1", 2)


def test_a_circulated_version_is_locked_and_a_new_version_closes_the_circulation(network, held):
    version = services.create_minutes_version(held, by=network.officer, text=MINUTES)
    services.circulate_minutes(held.minutes, by=network.officer, deadline=_deadline())
    with pytest.raises(ValidationError, match="changes go in a new version"):
        services.edit_minutes_version(version, by=network.officer, text="Changed")
    rev2 = services.create_minutes_version(held, by=network.officer, text=MINUTES + "\nWith comments.")
    held.minutes.refresh_from_db()
    assert (rev2.label, held.minutes.status) == ("Rev.2", MinutesStatus.DRAFT)


def test_comments_come_from_the_states_invited_only(network, held):
    services.create_minutes_version(held, by=network.officer, text=MINUTES)
    services.circulate_minutes(held.minutes, by=network.officer, deadline=_deadline())
    with pytest.raises(PermissionDenied, match="You cannot comment for Myanmar"):
        services.comment_on_minutes(held.minutes, by=network.mmr, member_state=network.mmr.member_state, text="x")
    with pytest.raises(PermissionDenied, match="You cannot comment for Myanmar"):
        services.comment_on_minutes(held.minutes, by=network.sgp, member_state=network.mmr.member_state, text="x")


def test_a_comment_on_a_paragraph_that_does_not_exist_is_refused(network, held):
    services.create_minutes_version(held, by=network.officer, text=MINUTES)
    services.circulate_minutes(held.minutes, by=network.officer, deadline=_deadline())
    assert paragraph_count(MINUTES) == 3
    with pytest.raises(ValidationError, match=r"There is no paragraph 4: Rev\.1 has 3"):
        services.comment_on_minutes(
            held.minutes, by=network.sgp, member_state=network.sgp.member_state, paragraph=4, text="x"
        )


def test_comments_close_at_the_deadline(network, held):
    services.create_minutes_version(held, by=network.officer, text=MINUTES)
    deadline = _deadline(2)
    services.circulate_minutes(held.minutes, by=network.officer, deadline=deadline)
    with time_machine.travel(deadline + dt.timedelta(seconds=1)), pytest.raises(ValidationError, match="deadline"):
        services.comment_on_minutes(held.minutes, by=network.sgp, member_state=network.sgp.member_state, text="x")


def test_a_past_deadline_is_refused(network, held):
    services.create_minutes_version(held, by=network.officer, text=MINUTES)
    with pytest.raises(ValidationError, match="in the future"):
        services.circulate_minutes(held.minutes, by=network.officer, deadline=_deadline(-1))


def test_submitting_tells_the_chair(network, submitted):
    assert submitted.status == MinutesStatus.SUBMITTED
    notification = Notification.objects.get(kind="minutes_submitted")
    assert notification.recipient == network.chair


def test_the_chair_approves_and_the_version_is_frozen_with_its_sha256(network, submitted):
    version = services.approve_minutes(submitted, by=network.chair)
    submitted.refresh_from_db()
    assert submitted.status == MinutesStatus.APPROVED
    assert version.sha256 == hashlib.sha256(MINUTES.encode()).hexdigest()
    assert version.approved_by == network.chair
    assert Notification.objects.get(kind="minutes_approved").recipient == network.officer
    assert version.history.first().history_change_reason == f"Approved by the chair; SHA-256 {version.sha256}"


def test_approving_minutes_approved_already_is_refused_with_a_clear_message(network, submitted):
    services.approve_minutes(submitted, by=network.chair)
    with pytest.raises(ValidationError, match=r"approved already \(Rev.1, by Chandra Chair on "):
        services.approve_minutes(submitted, by=network.chair)


def test_an_approved_version_cannot_be_edited_by_the_service_nor_by_a_plain_save(network, submitted):
    version = services.approve_minutes(submitted, by=network.chair)
    with pytest.raises(ValidationError, match=r"Rev\.1 was approved and is frozen"):
        services.edit_minutes_version(version, by=network.officer, text="Rewritten")
    stored = MinutesVersion.objects.get(pk=version.pk)
    stored.text = "Rewritten behind the service's back"
    with pytest.raises(ValidationError, match="frozen"):
        stored.save()
    assert MinutesVersion.objects.get(pk=version.pk).text == MINUTES


def test_a_correction_is_a_new_version_that_goes_through_approval_again(network, submitted):
    rev1 = services.approve_minutes(submitted, by=network.chair)
    rev2 = services.create_minutes_version(submitted.meeting, by=network.officer, text=MINUTES + "\nCorrigendum.")
    submitted.refresh_from_db()
    assert (rev2.label, submitted.status) == ("Rev.2", MinutesStatus.DRAFT)
    rev1.refresh_from_db()
    assert rev1.is_approved
    services.submit_minutes(submitted, by=network.officer)
    assert services.approve_minutes(submitted, by=network.chair).label == "Rev.2"


@pytest.mark.parametrize("who", ["officer", "sgp", "mmr", "observer", "outsider"])
def test_only_the_chair_of_the_meeting_approves(network, submitted, who):
    with pytest.raises(PermissionDenied, match="Only the chair"):
        services.approve_minutes(submitted, by=getattr(network, who))
    submitted.refresh_from_db()
    assert submitted.status == MinutesStatus.SUBMITTED


def test_a_chair_cannot_approve_minutes_of_a_body_it_does_not_chair(network):
    meeting = make_meeting(network.officer, network.wgai, days=-2, status="held", named_chair=network.sgp)
    services.create_minutes_version(meeting, by=network.officer, text=MINUTES)
    services.submit_minutes(meeting.minutes, by=network.officer)
    with pytest.raises(PermissionDenied):
        services.approve_minutes(meeting.minutes, by=network.chair)
    services.approve_minutes(meeting.minutes, by=network.sgp)


def test_the_chair_returns_with_comments_and_the_minutes_go_back_to_draft(network, submitted):
    with pytest.raises(ValidationError, match="Say what should change"):
        services.return_minutes(submitted, by=network.chair, comments=" ")
    version = services.return_minutes(submitted, by=network.chair, comments="Paragraph 2: name the delegations.")
    submitted.refresh_from_db()
    assert submitted.status == MinutesStatus.DRAFT
    assert version.return_comments == "Paragraph 2: name the delegations."
    assert Notification.objects.get(kind="minutes_returned").recipient == network.officer
    assert services.create_minutes_version(submitted.meeting, by=network.officer, text=MINUTES).label == "Rev.2"


def test_minutes_with_the_chair_cannot_be_changed_or_submitted_again(network, submitted):
    with pytest.raises(ValidationError, match="with the chair"):
        services.create_minutes_version(submitted.meeting, by=network.officer, text=MINUTES)
    with pytest.raises(ValidationError, match="cannot be submitted now"):
        services.submit_minutes(submitted, by=network.officer)


def test_a_delegate_cannot_draft_circulate_or_submit(network, held):
    with pytest.raises(PermissionDenied):
        services.create_minutes_version(held, by=network.sgp, text=MINUTES)
    services.create_minutes_version(held, by=network.officer, text=MINUTES)
    with pytest.raises(PermissionDenied):
        services.circulate_minutes(held.minutes, by=network.sgp, deadline=_deadline())
    with pytest.raises(PermissionDenied):
        services.submit_minutes(held.minutes, by=network.chair)


def test_minutes_over_the_limit_are_refused_and_nothing_is_saved(network, held):
    with pytest.raises(ValidationError, match="the limit is 200,000"):
        services.create_minutes_version(held, by=network.officer, text="x" * (MINUTES_MAX_CHARS + 1))
    assert not Minutes.objects.exists()
    assert not MinutesVersion.objects.exists()


def test_empty_minutes_are_refused(network, held):
    with pytest.raises(ValidationError, match="empty"):
        services.create_minutes_version(held, by=network.officer, text="  \n ")


# --- Markdown ----------------------------------------------------------------


def test_script_and_html_in_markdown_are_rendered_inert():
    html = render(
        "Hello <script>alert(1)</script> **world**\n\n"
        '<img src="https://evil.example/x.png" onerror="alert(2)">\n\n'
        '[click](javascript:alert(3)) <a href="https://asean.org" onclick="x()">ASEAN</a>\n\n'
        '<iframe src="https://evil.example"></iframe><style>body{}</style>'
    )
    assert "<strong>world</strong>" in html
    for bad in ("<script", "alert(1)", "<img", "onerror", "javascript:", "onclick", "<iframe", "<style"):
        assert bad not in html
    assert '<a href="https://asean.org" rel="noopener noreferrer">ASEAN</a>' in html


def test_paragraphs_are_numbered_and_headings_are_not():
    numbers = [(p.number, p.source.split("\n")[0][:21]) for p in paragraphs(MINUTES)]
    assert numbers == [
        (None, "# Report of the 1st A"),
        (1, "The meeting was opene"),
        (2, "Delegations noted the"),
        (None, "## Agenda item 3"),
        (3, "The meeting endorsed "),
    ]


def test_a_fenced_block_with_blank_lines_stays_one_paragraph():
    text = "Intro\n\n```\nline 1\n\nline 2\n```\n\nEnd"
    assert paragraph_count(text) == 3
