"""What the catalog's records share: slugs as natural keys, drafts and publishing, medical
review, the permissions that guard them, and the declarations a model makes about itself
(searchable names, related history, public pages) that catalog/models/registry.py collects."""

import datetime

from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..text import without_repeats
from .reviewing import AddDays, ReviewQuerySet, ReviewWorkflow
from .rows import Computed, Label, Many, One
from .schedule import SCHEDULE_CONSTRAINT_SUFFIX, QueryTime, when

__all__ = [
    "PUBLISH",
    "PUBLISHED",
    "REVIEW",
    "DescribedContent",
    "Publishable",
    "ReviewQuerySet",
    "ReviewedContent",
    "Searchable",
    "SlugManager",
    "SluggedModel",
    "Status",
    "editorial_permissions",
    "permission_codename",
]


class SlugManager(models.Manager):
    """Natural keys are slugs, so fixtures never depend on database ids."""

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class SluggedModel(models.Model):
    slug = models.SlugField(max_length=120, unique=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SlugManager()

    class Meta:
        abstract = True

    def natural_key(self):
        return (self.slug,)

    @classmethod
    def visible(cls, prefix=""):
        """The records the public sees, as a condition on `prefix` (a path to this model from
        the model being filtered, e.g. "therapy__"). Records without a status: all of them."""
        return Q(**{f"{prefix}pk__isnull": False})


class Searchable:
    """A record `/search/`, the lists' `q` filter and the A-Z find by its names. A subclass
    declares:

    - `search_field`: the name of the search index's key to it (`SearchTerm.therapy`);
    - `search_group`: (key, heading) of its group of search results ("therapy", "Therapies"),
      and `search_position`, where that group comes;
    - `search_names()`: its names, as (name, relation) pairs (relation "" for its own name,
      else a SearchTerm.Relation value), and `search_prefetch`, the relations it reads.

    Defining such a class registers it; the search index gets a key to it (models/search.py).
    """

    registry = []
    search_field = None
    search_group = None
    search_prefetch = ()  # what search_names() reads, prefetched when indexing many
    search_position = 0  # where its group comes among the search results

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("search_field"):
            Searchable.registry.append(cls)

    def search_names(self):
        raise NotImplementedError


# Publishing and marking reviewed are permissions of their own (see the roles migration);
# catalog/rights.py decides with them who may change which fields.
PUBLISH = "publish"
REVIEW = "review"


def permission_codename(action, model_name):
    """The codename of an action's permission on a model: "publish_therapy"."""
    return f"{action}_{model_name}"


def editorial_permissions(model, plural, review=True):
    perms = [(permission_codename(PUBLISH, model), f"Can publish and unpublish {plural}")]
    if review:
        perms.append((permission_codename(REVIEW, model), f"Can mark {plural} reviewed"))
    return perms


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


PUBLISHED = Status.PUBLISHED


class Publishable(models.Model):
    """Drafts are for editors; only published records reach the public, and those with a
    schedule only between "go live at" and "expire at" (`visible()`, used by every
    `.published()`)."""

    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    go_live_at = models.DateTimeField(
        "go live at",
        null=True,
        blank=True,
        db_index=True,
        help_text="A published record reaches the public at this moment (empty: at once).",
    )
    expire_at = models.DateTimeField(
        "expire at",
        null=True,
        blank=True,
        db_index=True,
        help_text="And leaves it at this moment (empty: never).",
    )

    # Fields only some editors may change, with the permission each needs (catalog/rights.py).
    GUARDED_FIELDS = {"status": PUBLISH, "go_live_at": PUBLISH, "expire_at": PUBLISH}
    # The foreign keys to records that must be live too for this one to be public (a therapy's
    # class, a condition's parent): part of `visible()`, and of the past public states "What
    # changed" compares (catalog/changes/states.py).
    shown_with = ()

    class Meta:
        abstract = True

    @classmethod
    def visible(cls, prefix=""):
        """The one visibility rule: published, gone live (no "go live at", or not after the
        moment the query runs) and not expired (no "expire at", or after that moment); and so
        is each record it is `shown_with`, where it has one."""
        now = QueryTime()
        condition = (
            Q(**{f"{prefix}status": PUBLISHED})
            & (Q(**{f"{prefix}go_live_at__isnull": True}) | Q(**{f"{prefix}go_live_at__lte": now}))
            & (Q(**{f"{prefix}expire_at__isnull": True}) | Q(**{f"{prefix}expire_at__gt": now}))
        )
        for name in cls.shown_with:
            other = Publishable.visible(f"{prefix}{name}__")
            if cls._meta.get_field(name).null:
                other = Q(**{f"{prefix}{name}__isnull": True}) | other
            condition &= other
        return condition

    @classmethod
    def permission(cls, action):
        """The full name of an action's permission on this model: "catalog.publish_therapy"."""
        return f"{cls._meta.app_label}.{permission_codename(action, cls._meta.model_name)}"

    @property
    def is_published(self):
        return self.status == PUBLISHED

    @classmethod
    def in_state(cls, state):
        """The condition on this model's own fields for a `schedule_state()` (the admin's
        filter), with the moment the query runs."""
        now = QueryTime()
        published = Q(status=PUBLISHED)
        return {
            "draft": ~published,
            "scheduled": published & Q(go_live_at__gt=now),
            "expired": published & Q(expire_at__lte=now),
            "live": Publishable.visible(),
        }[state]

    def publication_label(self, now=None):
        """The state in words: "Draft", "Published", "Published — expires 9 Dec 2026, 09:00",
        "Scheduled — goes live 3 Dec 2026, 09:00", "Expired 1 Dec 2026" (local time)."""
        state = self.schedule_state(now)
        if state == "scheduled":
            return f"Scheduled — goes live {when(self.go_live_at)}"
        if state == "expired":
            return f"Expired {when(self.expire_at, time=False)}"
        if state == "live" and self.expire_at is not None:
            return f"Published — expires {when(self.expire_at)}"
        return Status(self.status).label

    def schedule_state(self, now=None):
        """Where the record stands for the public, on its own: "draft", "scheduled" (published,
        going live later), "expired" or "live" (the same rule as `visible()`)."""
        now = now or timezone.now()
        if not self.is_published:
            return "draft"
        if self.expire_at is not None and self.expire_at <= now:
            return "expired"
        if self.go_live_at is not None and self.go_live_at > now:
            return "scheduled"
        return "live"

    @classmethod
    def check_schedule(cls, go_live_at, expire_at):
        """The model's schedule constraint (`schedule_constraint`) on these dates, for writes
        that do not go through a model form (the API): a ValidationError with its message."""
        record = cls(go_live_at=go_live_at, expire_at=expire_at)
        for constraint in cls._meta.constraints:
            if constraint.name.endswith(SCHEDULE_CONSTRAINT_SUFFIX):
                constraint.validate(cls, record)

    def set_status(self, status, when=None):
        """The one place publication state changes (admin form and actions, API): the first
        publication is dated; publishing again, or unpublishing, keeps that date."""
        self.status = status
        if status == PUBLISHED and self.published_at is None:
            self.published_at = when or timezone.now()

    def publish(self, when=None):
        self.set_status(PUBLISHED, when)

    def unpublish(self):
        self.set_status(Status.DRAFT)


# What a list row holds of a record's publication and review (catalog/models/rows.py), and of
# each source it cites.
EDITORIAL_ROW_FIELDS = {
    **{
        name: name
        for name in (
            "status",
            "published_at",
            "go_live_at",
            "expire_at",
            "last_reviewed",
            "review_interval_days",
            "review_state",
        )
    },
    # The site's own review: who (a reviewer profile, never a login) and when it is due again.
    "reviewer": One("reviewer", ["full_name", "credential", "specialty"]),
    "review_due": Computed(
        lambda prefix: AddDays(
            models.F(f"{prefix}last_reviewed"), models.F(f"{prefix}review_interval_days")
        )
    ),
}
# The source's limits on a use, as a list row holds them (see Indication.limits).
LIMIT_ROW_FIELDS = {
    "severity": "severity",
    "severity_label": Label("severity"),
    "population": "population",
    "combination": "combination",
    "line_of_therapy": "line_of_therapy",
    "line_of_therapy_label": Label("line_of_therapy"),
    "note": "note",
}
LIMIT_KEYS = tuple(LIMIT_ROW_FIELDS)


CITATION = ("slug", "publisher", "title")
SOURCES_ROW = Many("sources", CITATION)


class DescribedContent:
    """A record whose page shows its summary and then its longer `description`."""

    @property
    def description_after_summary(self):
        """The description without what the summary above it already says: a description
        that starts with, or contains, a sentence of the summary shows that sentence once."""
        return without_repeats(self.description, self.summary)


class ReviewedContent(ReviewWorkflow, Publishable, SluggedModel):
    """Fields every public content record carries: a summary, its sources, its review."""

    summary = models.CharField(max_length=400)
    sources = models.ManyToManyField("catalog.Source", related_name="+")
    last_reviewed = models.DateField(
        null=True,
        blank=True,
        help_text="When one of the site's medical reviewers last reviewed this record (not the "
        "date of a source's own review, which belongs to the source).",
    )
    reviewer = models.ForeignKey(
        "catalog.ReviewerProfile",
        verbose_name="reviewed by",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who reviewed it: recorded by “Mark as reviewed”, never typed.",
    )
    review_interval_days = models.PositiveIntegerField(
        default=365, help_text="Review again this many days after the last review."
    )
    # The review workflow's own fields (see submit_for_review, approve, send_back).
    WORKFLOW_FIELDS = (
        "review_state",
        "submitted_at",
        "submitted_by",
        "review_comment",
        "sent_back_by",
        "sent_back_on",
    )
    # Set only by mark_reviewed (the admin's "Mark as reviewed", naming the reviewer who takes
    # it) and the review workflow: no form, revert or API write changes them, whoever makes it
    # (catalog/rights.py).
    RECORDED_BY_ACTION = ("last_reviewed", "reviewer", *WORKFLOW_FIELDS)
    # A medical review is recorded only by those holding the review permission.
    GUARDED_FIELDS = {
        **Publishable.GUARDED_FIELDS,
        "last_reviewed": REVIEW,
        "reviewer": REVIEW,
        "review_interval_days": REVIEW,
    }
    # The public pages of a record of this kind (URL names in the "catalog" namespace): the
    # anonymous page cache serves them (catalog/pagecache.py).
    page_names = ()
    # Records hanging off this one whose changes its history page shows (catalog/history.py):
    # (reverse relation, label, fields naming the other end), for names and indications; a
    # label of None splits names by their `kind` ("Brand names", "Abbreviations" ...).
    history_children = ()

    class Meta:
        abstract = True

    @property
    def review_due(self):
        if self.last_reviewed is None:
            return None
        return self.last_reviewed + datetime.timedelta(days=self.review_interval_days)

    def review_overdue(self, today=None):
        today = today or timezone.localdate()
        return self.review_due is None or self.review_due < today

    @property
    def is_reviewed(self):
        """Reviewed by one of the site's reviewers (a date and a named profile)."""
        return self.last_reviewed is not None and self.reviewer_id is not None

    @classmethod
    def content_changed(cls):
        """When the record last changed, as an expression of its own query (a detail page's
        "Last updated", no query of its own): its latest version (the history), or the row's
        own time for a record loaded without one. Not its review date, which says something
        else."""
        latest = cls.history.filter(id=OuterRef("pk")).order_by("-history_date")
        return Coalesce(Subquery(latest.values("history_date")[:1]), F("updated_at"))

    def mark_reviewed(self, profile, today=None):
        """Record a review by `profile` (the reviewer's own: catalog/rights.py checks who). A
        review settles any submission."""
        self.last_reviewed = today or timezone.localdate()
        self.reviewer = profile
        self.settle_review()
