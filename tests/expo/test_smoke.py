from starlette.testclient import TestClient


def test_lobby_renders_for_an_anonymous_visitor(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="en" dir="ltr">' in response.text
