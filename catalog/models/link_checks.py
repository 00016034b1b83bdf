"""Link checks: what each source URL answered the last time `manage.py check_links` asked it
(when, the HTTP status, ok or not, the error in words, where redirects ended). One row per URL,
written by the command only; the admin shows them on the sources and in a record's checks. Not
content: a check moves neither the catalog's version nor any history."""

from contextlib import suppress
from http import HTTPStatus

from django.db import models
from django.db.models import Exists, OuterRef, Subquery

__all__ = ["LinkCheck", "LinkState", "status_in_words"]


class LinkState(models.TextChoices):
    """What the last check of a source's URL found, as the Source changelist filters on it."""

    BROKEN = "broken", "broken"
    OK = "ok", "ok"
    NEVER = "never", "never checked"


class LinkCheckQuerySet(models.QuerySet):
    def of_url(self, field="url"):
        """The check of the URL in `field` of the row an outer query is on."""
        return self.filter(url=OuterRef(field))

    def annotate_sources(self, sources):
        """`sources` with their last check's fields as `link_ok`, `link_status`, `link_error`,
        `link_checked_at`, `link_final_url` (None when never checked), in the same query."""
        checks = self.of_url()
        return sources.annotate(
            **{
                f"link_{name}": Subquery(checks.values(name)[:1])
                for name in ("ok", "status", "error", "checked_at", "final_url")
            }
        )

    def sources_in_state(self, sources, state):
        """The `sources` whose URL is in `state` (a LinkState)."""
        if state == LinkState.NEVER:
            return sources.filter(~Exists(self.of_url()))
        return sources.filter(Exists(self.of_url().filter(ok=state == LinkState.OK)))

    def record(self, url, *, checked_at, status, ok, error, final_url):
        """Store the latest check of `url`, replacing the one before."""
        check, _ = self.update_or_create(
            url=url,
            defaults={
                "checked_at": checked_at,
                "status": status,
                "ok": ok,
                "error": error,
                "final_url": final_url,
            },
        )
        return check


class LinkCheck(models.Model):
    url = models.CharField("URL", max_length=200, unique=True)  # as long as Source.url
    checked_at = models.DateTimeField()
    status = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    ok = models.BooleanField()
    error = models.CharField(max_length=300, blank=True)
    final_url = models.TextField("final URL", blank=True)

    objects = LinkCheckQuerySet.as_manager()

    derived = True  # the command's findings about the sources, not content: not versioned

    class Meta:
        ordering = ["url"]
        default_permissions = ()  # written by the command only; shown with the sources

    def __str__(self):
        return f"{self.url}: {self.outcome}"

    @property
    def outcome(self):
        """What came back, in words: "200 OK", "404 Not Found", "timed out after 2 s"."""
        if self.error or not self.status:
            return self.error or "no answer"
        return status_in_words(self.status)


def status_in_words(status, reason=""):
    """An HTTP status with its reason phrase: "404 Not Found" (the server's own phrase, else
    the standard one)."""
    if not reason:
        with suppress(ValueError):  # a status outside the standard's list keeps no phrase
            reason = HTTPStatus(status).phrase
    return f"{status} {reason}".strip()
