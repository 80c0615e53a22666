"""Every kind of event the activity log holds, and what its fields mean.

A package that records something new adds its kind here (one line, with what
``subject_id`` and ``data`` hold), so readers can rely on the list."""

KINDS: dict[str, str] = {
    # booths: subject_id = booth id; district_id/team_id of the booth; sector of the booth
    "booth.visit": "an investor opened a booth page (once per 10 minutes)",
    "booth.download": "an investor downloaded a booth document; data: document id",
    "booth.chat": "an investor wrote in a booth's chat",
    "booth.bookmark": "an investor bookmarked a booth; data: on (bool)",
    "booth.meeting_request": "an investor asked a booth for a meeting (before matchmaking)",
    # meetings (expo/meetings): subject_id = meeting request or meeting id
    "meeting.requested": "a meeting request was sent; subject_id = request id",
    "meeting.accepted": "a meeting request was accepted; subject_id = request id",
    "meeting.declined": "a meeting request was declined; subject_id = request id",
    "meeting.expired": "a meeting request expired unanswered; subject_id = request id",
    "meeting.booked": "a meeting was booked in a slot; subject_id = meeting id",
    "meeting.moved": "a booked meeting moved to another slot; subject_id = meeting id",
    "meeting.cancelled": "a booked meeting was cancelled; subject_id = meeting id",
    "meeting.held": "a meeting took place (someone joined its room); subject_id = meeting id",
    "meeting.outcome": (
        "one side reported how a meeting went; subject_id = meeting id; user_id = the meeting's "
        "investor (as for every meeting.* kind); data: held (bool), rating (1-5), next_step "
        "(none|another_meeting|send_documents|site_visit|term_sheet|ready_to_sign), side "
        "(investor|team), reported_by (user id)"
    ),
    # streaming: subject_id = pitch session id
    "pitch.watched": "a viewer started watching a pitch (live or replay); data: replay (bool)",
    "pitch.question": "a viewer asked a question in a pitch's Q&A",
}
