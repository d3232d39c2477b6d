import socket

from helpdesk import devstack


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_services_of_the_session_are_running_and_start_is_idempotent():
    assert devstack.postgres_running()
    assert devstack.start() == []  # everything already runs: nothing started twice
    status = devstack.status()
    assert status["postgres"].startswith("running")
    assert status["redis"].startswith("running")


def test_redis_start_stop_cycle_on_its_own_port(tmp_path):
    port = _free_port()
    lay = devstack.Layout(tmp_path)
    assert devstack.redis_start(port, lay) is True
    assert devstack.redis_start(port, lay) is False
    assert devstack.redis_stop(port, lay) is True
    assert devstack.redis_stop(port, lay) is False


def test_redis_refuses_a_port_taken_by_something_else(tmp_path):
    import pytest

    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        with pytest.raises(devstack.DevstackError, match="not Redis"):
            devstack.redis_start(port, devstack.Layout(tmp_path))


def test_postgres_url_points_at_the_socket_in_pgdata(tmp_path):
    lay = devstack.Layout(tmp_path)
    assert devstack.postgres_url(lay) == f"postgresql://postgres@/helpdesk?host={tmp_path / 'pgdata'}"
