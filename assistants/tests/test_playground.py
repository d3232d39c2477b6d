import json

import pytest

from conftest import GLOBEX_HOST, login_client


def stream_events(response):
    raw = b"".join(response.streaming_content).decode()
    return [
        (block.split("\n")[0].removeprefix("event: "), json.loads(block.split("\n")[1].removeprefix("data: ")))
        for block in raw.strip().split("\n\n")
    ]


def test_page_invites_a_first_question(agent_client, support_bot):
    html = agent_client.get(f"/assistants/{support_bot.pk}/playground/").content.decode()
    assert "No question yet" in html
    assert "assistants/stream.js" in html


def test_htmx_ask_returns_a_streaming_turn_and_the_stream_delivers_the_answer(agent_client, help_center, support_bot):
    turn = agent_client.post(
        f"/assistants/{support_bot.pk}/playground/ask/",
        {"message": "How do I reset my password?"},
        HTTP_HX_REQUEST="true",
    )
    html = turn.content.decode()
    assert "How do I reset my password?" in html
    stream_url = html.split('data-stream="')[1].split('"')[0].replace("&amp;", "&")
    events = stream_events(agent_client.get(stream_url))
    assert events[-1][0] == "done" and {name for name, _ in events[:-1]} == {"token"}
    done = events[-1][1]
    assert "Reset password" in done["html"] and "Reset your password" in done["html"]
    assert "Strategy extractive" in done["targets"]["inspector"]
    assert "No model was asked" in done["targets"]["inspector"]  # an extractive assistant has no prompt
    page = agent_client.get(f"/assistants/{support_bot.pk}/playground/").content.decode()
    assert page.count("turn-user") == 1 and "Reset password" in page  # the session shows the conversation


def test_without_javascript_the_form_still_answers(agent_client, help_center, support_bot):
    response = agent_client.post(f"/assistants/{support_bot.pk}/playground/ask/", {"message": "How long is shipping?"})
    assert response.status_code == 302
    page = agent_client.get(response["Location"]).content.decode()
    assert "Standard delivery" in page


def test_empty_question_is_refused(agent_client, support_bot):
    response = agent_client.post(
        f"/assistants/{support_bot.pk}/playground/ask/", {"message": " "}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert b"Type a question first" in response.content


def test_a_tampered_stream_token_fails_cleanly(agent_client, support_bot):
    events = stream_events(agent_client.get(f"/assistants/{support_bot.pk}/playground/stream/?t=forged"))
    assert events == [("failure", {"detail": "This question expired; ask it again."})]


@pytest.mark.parametrize("suffix", ["", "ask/", "stream/"])
def test_outsider_gets_404(globex, outsider, support_bot, suffix):
    client = login_client(globex, outsider, GLOBEX_HOST)
    method = client.post if suffix == "ask/" else client.get
    assert method(f"/assistants/{support_bot.pk}/playground/{suffix}").status_code == 404
