import pytest


@pytest.mark.django_db
def test_health_answers_200_with_a_tiny_body_without_signing_in(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_anonymous_visitor_is_sent_to_the_login_page(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_signed_in_delegate_sees_its_bodies_on_home(client, network):
    client.force_login(network.sgp)
    response = client.get("/")
    assert response.status_code == 200
    assert b"WG-AI" in response.content
    assert b"ADGSOM" in response.content
