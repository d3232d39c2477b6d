"""An answer as server-sent events: pieces as `token`, the result as `done`, in the shape its reader may see."""

import json

import pytest

from assistants.surfaces.streaming import answer_events, failure_event, started


class Result:
    def as_dict(self, *, public: bool = False) -> dict[str, object]:
        return {"text": "Shown.", "public": public}


def parsed(events):
    blocks = [block.split("\n") for block in events]
    return [(event.removeprefix("event: "), json.loads(data.removeprefix("data: "))) for event, data, *_ in blocks]


@pytest.mark.parametrize("public", [True, False])
def test_pieces_become_tokens_and_the_result_its_shape_for_the_reader(public):
    events = parsed(answer_events(["Hello", " there.", Result()], public=public))
    assert events == [
        ("token", {"text": "Hello"}),
        ("token", {"text": " there."}),
        ("done", {"text": "Shown.", "public": public}),
    ]


def test_a_staff_page_renders_its_own_done_payload():
    events = parsed(answer_events(["Hi.", Result()], public=False, done=lambda result: {"html": "<p>Hi.</p>"}))
    assert events[-1] == ("done", {"html": "<p>Hi.</p>"})


def test_a_public_stream_takes_no_custom_payload():
    with pytest.raises(ValueError, match="public shape"):
        list(answer_events(["Hi.", Result()], public=True, done=lambda result: {"all": "of it"}))


def test_started_raises_before_the_response_and_keeps_the_first_item():
    def failing():
        raise ValueError("bad message")
        yield "never"

    with pytest.raises(ValueError, match="bad message"):
        started(failing())
    assert list(started(iter(["a", "b"]))) == ["a", "b"]


def test_a_failure_is_one_event_with_its_detail():
    assert parsed([failure_event("Expired.")]) == [("failure", {"detail": "Expired."})]
