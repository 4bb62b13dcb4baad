"""Event schemas and the envelope: what goes into a stream comes back out the same, or is refused clearly."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from propos4l.shared.envelope import EnvelopeError, decode, encode
from propos4l.shared.events import (
    EVENT_TYPES,
    ProposalDrafted,
    ProposalFailed,
    ProposalRequest,
    ProposalRequested,
    Section,
    derived_event_id,
)
from propos4l.shared.sections import SECTION_KEYS, Language, section_title
from propos4l.shared.streams import ConsumerGroup, Stream, dead_letter_stream


def _request(**overrides: object) -> ProposalRequest:
    fields: dict[str, object] = {"client_name": "ACME", "industry": "Retail", "requirements": "A new ERP"}
    fields.update(overrides)
    return ProposalRequest.model_validate(fields)


def _sections(language: Language = Language.PT_BR) -> tuple[Section, ...]:
    return tuple(Section(key=key, title=section_title(key, language), content=f"text of {key}") for key in SECTION_KEYS)


def test_envelope_round_trip_keeps_every_field_and_header() -> None:
    event = ProposalRequested(proposal_id=uuid.uuid4(), version=1, request=_request())
    fields = encode(event, {"traceparent": "00-abc-def-01"})
    envelope = decode(fields)
    assert envelope.event_id == event.event_id
    assert envelope.proposal_id == event.proposal_id
    assert envelope.version == 1
    assert envelope.event_type == "proposal.requested"
    assert envelope.headers == {"traceparent": "00-abc-def-01"}
    assert envelope.open(ProposalRequested) == event


def test_envelope_decodes_bytes_as_redis_returns_them() -> None:
    event = ProposalRequested(proposal_id=uuid.uuid4(), version=1, request=_request())
    raw = {key.encode(): value.encode() for key, value in encode(event).items()}
    assert decode(raw).open(ProposalRequested) == event


def test_opening_an_envelope_as_the_wrong_event_is_refused() -> None:
    event = ProposalRequested(proposal_id=uuid.uuid4(), version=1, request=_request())
    with pytest.raises(EnvelopeError, match="expected event 'proposal.failed'"):
        decode(encode(event)).open(ProposalFailed)


def test_unknown_schema_version_is_refused_by_name() -> None:
    fields = encode(ProposalRequested(proposal_id=uuid.uuid4(), version=1, request=_request()))
    fields["schema_version"] = "99"
    with pytest.raises(EnvelopeError, match="schema version 99 is not supported"):
        decode(fields).open(ProposalRequested)


@pytest.mark.parametrize("missing", ["event_id", "payload", "proposal_id", "version"])
def test_message_missing_a_field_is_unreadable(missing: str) -> None:
    fields = encode(ProposalRequested(proposal_id=uuid.uuid4(), version=1, request=_request()))
    del fields[missing]
    with pytest.raises(EnvelopeError, match=missing):
        decode(fields)


def test_malformed_payload_names_the_field() -> None:
    fields = encode(ProposalRequested(proposal_id=uuid.uuid4(), version=1, request=_request()))
    fields["payload"] = '{"proposal_id": "not-a-uuid"}'
    with pytest.raises(EnvelopeError, match="invalid proposal.requested payload"):
        decode(fields).open(ProposalRequested)


def test_derived_event_ids_are_stable_per_cause_and_type() -> None:
    cause = uuid.uuid4()
    assert derived_event_id(cause, "proposal.drafted") == derived_event_id(cause, "proposal.drafted")
    assert derived_event_id(cause, "proposal.drafted") != derived_event_id(cause, "proposal.failed")
    assert derived_event_id(cause, "proposal.drafted") != derived_event_id(uuid.uuid4(), "proposal.drafted")


def test_drafted_event_needs_all_ten_sections_in_order() -> None:
    common = {
        "proposal_id": uuid.uuid4(),
        "version": 1,
        "request": _request(),
        "provider": "outline",
        "model": "none",
        "ai_generated": False,
        "prompt_version": "outline",
    }
    ProposalDrafted(sections=_sections(), **common)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="sections must be exactly"):
        ProposalDrafted(sections=_sections()[1:], **common)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="sections must be exactly"):
        ProposalDrafted(sections=tuple(reversed(_sections())), **common)  # type: ignore[arg-type]


def test_request_limits_and_defaults() -> None:
    request = _request(client_name="  Padaria Pão Quente  ")
    assert request.client_name == "Padaria Pão Quente"
    assert request.language is Language.PT_BR
    assert request.template == "default"
    with pytest.raises(ValidationError):
        _request(client_name="x" * 201)
    with pytest.raises(ValidationError):
        _request(requirements="")
    with pytest.raises(ValidationError):
        _request(template="../etc")
    with pytest.raises(ValidationError):
        _request(language="fr")


def test_every_event_type_is_registered_with_its_own_stream() -> None:
    streams = {cls.stream for cls in EVENT_TYPES.values()}
    assert len(streams) == len(EVENT_TYPES)
    assert streams <= set(Stream)


def test_dead_letter_streams_are_per_stream_and_group() -> None:
    assert dead_letter_stream(Stream.PROPOSAL_REQUESTED, ConsumerGroup.GENERATOR) == (
        "propos4l.proposal.requested.dead.generator"
    )


def test_section_titles_follow_the_language() -> None:
    assert section_title(SECTION_KEYS[0], Language.PT_BR) == "Sumário executivo"
    assert section_title(SECTION_KEYS[0], Language.EN) == "Executive summary"


def test_nul_characters_in_the_request_are_refused() -> None:
    with pytest.raises(ValidationError, match="NUL"):
        _request(requirements="ERP\x00")


def test_an_event_about_no_proposal_round_trips_with_empty_correlation() -> None:
    from propos4l.shared.events import TemplateAction, TemplateChanged

    event = TemplateChanged(template="default", template_version=3, action=TemplateAction.UPDATED)
    fields = encode(event)
    assert fields["proposal_id"] == "" and fields["version"] == ""
    envelope = decode(fields)
    assert envelope.proposal_id is None and envelope.version is None
    assert envelope.open(TemplateChanged) == event
