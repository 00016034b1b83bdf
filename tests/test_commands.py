import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from catalog.models import Source, Therapy

pytestmark = pytest.mark.django_db


def test_seed_leaves_existing_content_alone(capsys):
    therapy = Therapy.objects.get(slug="rituximab")
    therapy.summary = "Edited by an editor."
    therapy.save()
    call_command("seed")
    assert "already loaded" in capsys.readouterr().out
    therapy.refresh_from_db()
    assert therapy.summary == "Edited by an editor."


@pytest.mark.slow
def test_seed_loads_an_empty_database(capsys):
    Therapy.objects.all().delete()
    Source.objects.all().delete()
    call_command("seed")
    assert "Loaded the catalog content" in capsys.readouterr().out
    assert Therapy.objects.filter(slug="rituximab").exists()


def test_ensure_admin_without_password_prints_the_hint(capsys, monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    call_command("ensure_admin")
    assert "createsuperuser" in capsys.readouterr().out
    assert not get_user_model().objects.exists()


def test_ensure_admin_names_the_admin_url_where_the_site_is_served(capsys, monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", "first-Password-1")
    call_command("ensure_admin", address="127.0.0.1:8765")
    assert "log in at http://127.0.0.1:8765/admin/" in capsys.readouterr().out
    call_command("ensure_admin")
    assert "log in at http://127.0.0.1:8000/admin/" in capsys.readouterr().out


def test_ensure_admin_creates_then_updates_the_superuser(client, monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", "first-Password-1")
    call_command("ensure_admin")
    monkeypatch.setenv("ADMIN_PASSWORD", "second-Password-2")
    call_command("ensure_admin")
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.is_staff
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "admin", "password": "second-Password-2"},
        follow=True,
    )
    assert "immunosite administration" in response.content.decode()
    assert "Log out" in response.content.decode()
