"""The catalog: sources, therapy classes, therapies, conditions, indications, glossary."""

import datetime
import unicodedata

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords


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


class Source(SluggedModel):
    """A citation: where a record's facts come from."""

    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200)
    url = models.URLField("URL", blank=True)
    last_updated = models.DateField(
        null=True, blank=True, help_text="Date the source was last updated or medically reviewed."
    )
    note = models.CharField(max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["title", "slug"]
        indexes = [models.Index(fields=["updated_at"], name="catalog_source_updated_idx")]

    def __str__(self):
        return f"{self.publisher}, “{self.title}”"


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
    """Drafts are for editors; only published records reach the public (see `.published()`)."""

    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Fields only some editors may change, with the permission each needs (catalog/rights.py).
    GUARDED_FIELDS = {"status": PUBLISH}

    class Meta:
        abstract = True

    @classmethod
    def permission(cls, action):
        """The full name of an action's permission on this model: "catalog.publish_therapy"."""
        return f"{cls._meta.app_label}.{permission_codename(action, cls._meta.model_name)}"

    @property
    def is_published(self):
        return self.status == PUBLISHED

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


class ReviewedContent(Publishable, SluggedModel):
    """Fields every public content record carries."""

    summary = models.CharField(max_length=400)
    sources = models.ManyToManyField(Source, related_name="+")
    last_reviewed = models.DateField(
        null=True, blank=True, help_text="When this record was last medically reviewed."
    )
    reviewed_by = models.CharField(
        max_length=200,
        blank=True,
        help_text="Reviewer's name and credential as shown to the public, e.g. “A. Smith, MD”.",
    )
    review_interval_days = models.PositiveIntegerField(
        default=365, help_text="Review again this many days after the last review."
    )

    # A medical review is recorded only by those holding the review permission.
    GUARDED_FIELDS = {
        **Publishable.GUARDED_FIELDS,
        "last_reviewed": REVIEW,
        "reviewed_by": REVIEW,
        "review_interval_days": REVIEW,
    }

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

    def mark_reviewed(self, reviewer, today=None):
        self.last_reviewed = today or timezone.localdate()
        self.reviewed_by = reviewer


def class_visible(prefix=""):
    return Q(**{f"{prefix}status": PUBLISHED})


def condition_visible(prefix=""):
    return Q(**{f"{prefix}status": PUBLISHED}) & (
        Q(**{f"{prefix}parent__isnull": True}) | Q(**{f"{prefix}parent__status": PUBLISHED})
    )


def therapy_visible(prefix=""):
    return Q(**{f"{prefix}status": PUBLISHED}) & class_visible(f"{prefix}therapy_class__")


def indication_visible(prefix=""):
    return (
        Q(**{f"{prefix}status": PUBLISHED})
        & condition_visible(f"{prefix}condition__")
        & (therapy_visible(f"{prefix}therapy__") | class_visible(f"{prefix}therapy_class__"))
    )


class Action(models.TextChoices):
    STIMULATES = "stimulates", "Stimulates the immune system"
    ENHANCES = "enhances", "Enhances the immune response"
    TARGETS = "targets", "Targets specific antigens"
    SUPPRESSES = "suppresses", "Suppresses the immune system"


class TherapyClassQuerySet(models.QuerySet):
    def published(self):
        return self.filter(class_visible())

    def for_display(self, public=True):
        return self.prefetch_related("sources")


class TherapyClass(ReviewedContent):
    name = models.CharField(max_length=120, unique=True)
    abbreviation = models.CharField(max_length=30, blank=True)
    action = models.CharField(
        max_length=20, choices=Action, help_text="How the class acts on the immune system."
    )
    description = models.TextField(blank=True)

    objects = SlugManager.from_queryset(TherapyClassQuerySet)()
    history = HistoricalRecords(m2m_fields=["sources"])

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "therapy classes"
        permissions = editorial_permissions("therapyclass", "therapy classes")
        indexes = [models.Index(fields=["updated_at"], name="catalog_class_updated_idx")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("catalog:class-detail", args=[self.slug])

    def get_preview_url(self):
        return reverse("catalog:class-preview", args=[self.slug])


class ConditionCategory(models.TextChoices):
    CANCER = "cancer", "Cancer"
    AUTOIMMUNE_INFLAMMATORY = "autoimmune-inflammatory", "Autoimmune and inflammatory disease"


class ConditionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(condition_visible())

    def for_display(self, public=True):
        children = Condition.objects.published() if public else Condition.objects.all()
        return self.select_related("parent").prefetch_related(
            "other_names", "sources", Prefetch("children", queryset=children)
        )

    def matching(self, conditions):
        """The given conditions and, for parent conditions, their sub-conditions."""
        ids = [condition.pk for condition in conditions]
        return self.filter(Q(pk__in=ids) | Q(parent__in=ids))


class Condition(ReviewedContent):
    name = models.CharField(max_length=120, unique=True)
    category = models.CharField(max_length=30, choices=ConditionCategory)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="A broader condition this one belongs to (one level deep).",
    )

    objects = SlugManager.from_queryset(ConditionQuerySet)()
    history = HistoricalRecords(m2m_fields=["sources"])

    class Meta:
        ordering = ["name"]
        permissions = editorial_permissions("condition", "conditions")
        indexes = [
            models.Index(fields=["updated_at"], name="catalog_condition_updated_idx"),
            # Name lookups typed in the filters (`name__iexact` is UPPER(name) on PostgreSQL).
            models.Index(
                models.Func(models.F("name"), function="UPPER"), name="catalog_condition_uname_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")),
                name="condition_not_own_parent",
                violation_error_message="A condition cannot be its own parent.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("catalog:condition-detail", args=[self.slug])

    def get_preview_url(self):
        return reverse("catalog:condition-preview", args=[self.slug])

    def clean(self):
        super().clean()
        if self.pk and self.children.exclude(category=self.category).exists():
            raise ValidationError(
                {"category": "Its sub-conditions have another category; change them first."}
            )
        if self.parent_id is None:
            return
        if self.pk and self.parent_id == self.pk:
            raise ValidationError({"parent": "A condition cannot be its own parent."})
        if self.parent.parent_id is not None:
            raise ValidationError(
                {"parent": "Choose a top-level condition: sub-conditions go one level deep."}
            )
        if self.pk and self.children.exists():
            raise ValidationError(
                {"parent": "This condition has sub-conditions, so it cannot have a parent."}
            )
        if self.parent.category != self.category:
            raise ValidationError({"parent": "A sub-condition has its parent's category."})


class ConditionNameManager(models.Manager):
    def get_by_natural_key(self, condition_slug, name):
        return self.get(condition__slug=condition_slug, name=name)


class ConditionName(models.Model):
    condition = models.ForeignKey(Condition, on_delete=models.CASCADE, related_name="other_names")
    name = models.CharField(max_length=120)

    objects = ConditionNameManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["condition", "name"], name="unique_condition_name"),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (*self.condition.natural_key(), self.name)

    natural_key.dependencies = ["catalog.condition"]


class TherapyQuerySet(models.QuerySet):
    def published(self):
        return self.filter(therapy_visible())

    def for_display(self, public=True):
        """Everything a list row or a detail page shows, in a fixed number of queries
        (`public`: only published indications)."""
        indications = Indication.objects.published() if public else Indication.objects.all()
        return self.select_related("therapy_class").prefetch_related(
            "other_names",
            "sources",
            Prefetch(
                "indications",
                queryset=indications.select_related("condition").prefetch_related("sources"),
            ),
        )

    def for_conditions(self, conditions):
        """Agents with a published agent-level indication for any of the conditions (or their
        sub-conditions)."""
        uses = Indication.objects.published().filter(
            therapy=OuterRef("pk"), condition__in=Condition.objects.matching(conditions)
        )
        # EXISTS per therapy (the therapy-condition index), not the set of every use of a
        # condition that may have tens of thousands.
        return self.filter(Exists(uses))


class Therapy(ReviewedContent):
    name = models.CharField(max_length=120, unique=True)
    therapy_class = models.ForeignKey(
        TherapyClass, on_delete=models.PROTECT, related_name="therapies", verbose_name="class"
    )
    description = models.TextField(blank=True)

    objects = SlugManager.from_queryset(TherapyQuerySet)()
    history = HistoricalRecords(m2m_fields=["sources"])

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "therapies"
        permissions = editorial_permissions("therapy", "therapies")
        indexes = [
            models.Index(fields=["updated_at"], name="catalog_therapy_updated_idx"),
            # Name lookups typed in the filters (`name__iexact` is UPPER(name) on PostgreSQL).
            models.Index(
                models.Func(models.F("name"), function="UPPER"), name="catalog_therapy_uname_idx"
            ),
            models.Index(fields=["last_reviewed", "id"], name="catalog_therapy_reviewed_idx"),
            # A list page's keys and its count, from the index alone (no partial index: SQLite
            # cannot use one with a parameter for `status`).
            models.Index(
                fields=["name", "id", "therapy_class", "status"],
                name="catalog_therapy_name_list_idx",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("catalog:therapy-detail", args=[self.slug])

    def get_preview_url(self):
        return reverse("catalog:therapy-preview", args=[self.slug])

    @property
    def brand_names(self):
        return [n.name for n in self.other_names.all() if n.kind == TherapyName.Kind.BRAND]


class TherapyNameManager(models.Manager):
    def get_by_natural_key(self, therapy_slug, name):
        return self.get(therapy__slug=therapy_slug, name=name)


class TherapyName(models.Model):
    class Kind(models.TextChoices):
        BRAND = "brand", "Brand name"
        ABBREVIATION = "abbreviation", "Abbreviation"
        SYNONYM = "synonym", "Synonym"

    therapy = models.ForeignKey(Therapy, on_delete=models.CASCADE, related_name="other_names")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind)

    objects = TherapyNameManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["therapy", "name"], name="unique_therapy_name"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display().lower()})"

    def natural_key(self):
        return (*self.therapy.natural_key(), self.name)

    natural_key.dependencies = ["catalog.therapy"]


class Qualifier(models.TextChoices):
    NONE = "", "Used for"
    MAY_BE_EFFECTIVE = "may-be-effective", "May be effective"
    MAY_HELP = "may-help", "May help"
    OTHER_AGENTS_FAILED = "other-agents-failed", "When other agents have not worked"
    CONVENTIONAL_DRUGS_FAILED = "conventional-drugs-failed", "When conventional drugs fail"


class IndicationQuerySet(models.QuerySet):
    def published(self):
        return self.filter(indication_visible())

    def for_display(self):
        return self.select_related("therapy", "therapy_class", "condition").prefetch_related(
            "sources"
        )


class IndicationManager(models.Manager.from_queryset(IndicationQuerySet)):
    def get_by_natural_key(self, therapy_slug, class_slug, condition_slug):
        return self.get(
            therapy__slug=therapy_slug,
            therapy_class__slug=class_slug,
            condition__slug=condition_slug,
        )


class Indication(Publishable):
    """A therapy, or a whole therapy class, used for a condition."""

    therapy = models.ForeignKey(
        Therapy, on_delete=models.CASCADE, null=True, blank=True, related_name="indications"
    )
    therapy_class = models.ForeignKey(
        TherapyClass,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="indications",
        verbose_name="class",
    )
    condition = models.ForeignKey(Condition, on_delete=models.CASCADE, related_name="indications")
    qualifier = models.CharField(max_length=30, choices=Qualifier, blank=True)
    note = models.CharField(
        max_length=300, blank=True, help_text="What the source adds, e.g. “advanced disease”."
    )
    sources = models.ManyToManyField(Source, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = IndicationManager()
    history = HistoricalRecords(m2m_fields=["sources"])

    class Meta:
        ordering = ["condition__name", "therapy_class__name", "therapy__name"]
        permissions = editorial_permissions("indication", "indications", review=False)
        indexes = [models.Index(fields=["updated_at"], name="catalog_indication_updated_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(therapy__isnull=False, therapy_class__isnull=True)
                    | Q(therapy__isnull=True, therapy_class__isnull=False)
                ),
                name="indication_therapy_xor_class",
                violation_error_message="Choose either a therapy or a therapy class, not both.",
            ),
            # NULLs are distinct, so each constraint only bites on its own kind of indication.
            models.UniqueConstraint(
                fields=["therapy", "condition"],
                name="unique_therapy_indication",
                violation_error_message="This therapy is already linked to this condition.",
            ),
            models.UniqueConstraint(
                fields=["therapy_class", "condition"],
                name="unique_class_indication",
                violation_error_message="This class is already linked to this condition.",
            ),
        ]

    def __str__(self):
        return f"{self.subject} → {self.condition}"

    @property
    def subject(self):
        return self.therapy or self.therapy_class

    @property
    def level(self):
        return "agent" if self.therapy_id else "class"

    def natural_key(self):
        return (
            self.therapy.slug if self.therapy_id else None,
            self.therapy_class.slug if self.therapy_class_id else None,
            self.condition.slug,
        )

    natural_key.dependencies = ["catalog.therapy", "catalog.therapyclass", "catalog.condition"]


class ModifierRole(SluggedModel):
    """One of the ways biological response modifiers fight cancer."""

    position = models.PositiveSmallIntegerField(unique=True)
    title = models.CharField(max_length=200)
    explanation = models.TextField(blank=True)
    sources = models.ManyToManyField(Source, related_name="+")

    history = HistoricalRecords(m2m_fields=["sources"])

    class Meta:
        ordering = ["position"]
        indexes = [models.Index(fields=["updated_at"], name="catalog_role_updated_idx")]

    def __str__(self):
        return self.title


class GlossaryTerm(SluggedModel):
    term = models.CharField(max_length=120, unique=True)
    also_called = models.CharField(max_length=200, blank=True)
    definition = models.TextField()
    sources = models.ManyToManyField(Source, related_name="+")

    history = HistoricalRecords(m2m_fields=["sources"])

    class Meta:
        ordering = ["term"]
        indexes = [models.Index(fields=["updated_at"], name="catalog_glossary_updated_idx")]

    def __str__(self):
        return self.term

    def get_absolute_url(self):
        return reverse("catalog:glossary") + f"#{self.slug}"


class CatalogVersion(models.Model):
    """One row: when the catalog last changed, and a counter of changes. The database keeps it
    (triggers on every content table, migration 0008): any insert, update or delete, from the
    admin, the API, a management command, a bulk load or raw SQL, moves it in the same
    transaction, and commits move it in commit order (the row is locked while it changes). The
    page cache, ETags and Last-Modified read it with one primary-key lookup."""

    changed_at = models.DateTimeField()
    counter = models.BigIntegerField(default=0)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"catalog version {self.counter} ({self.changed_at:%Y-%m-%d %H:%M:%S})"


VERSIONED_MODELS = (
    Source,
    TherapyClass,
    Therapy,
    TherapyName,
    Condition,
    ConditionName,
    Indication,
    ModifierRole,
    GlossaryTerm,
)


def catalog_last_modified():
    """When the catalog last changed (see CatalogVersion): one primary-key lookup. None until
    the first change (an empty database)."""
    value = CatalogVersion.objects.filter(pk=1).values_list("changed_at", flat=True).first()
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value


class SearchTermQuerySet(models.QuerySet):
    def terms_for(self, record):
        """The rows `/search/` matches for one record: its own name and its other names."""
        if isinstance(record, Therapy):
            own = [(record.name, "")]
            others = [(n.name, n.kind) for n in record.other_names.all()]
        elif isinstance(record, TherapyClass):
            own = [(record.name, "")]
            others = [(record.abbreviation, SearchTerm.Relation.ABBREVIATION)]
        elif isinstance(record, Condition):
            own = [(record.name, "")]
            others = [(n.name, SearchTerm.Relation.OTHER) for n in record.other_names.all()]
        elif isinstance(record, GlossaryTerm):
            own = [(record.term, "")]
            others = [(a, SearchTerm.Relation.OTHER) for a in record.also_called.split(";")]
        else:
            raise TypeError(f"{type(record).__name__} records are not searchable")
        field = SearchTerm.RECORD_FIELDS[type(record)]
        terms = []
        for name, relation in own + others:
            name = name.strip()
            if name and normalise(name):
                terms.append(
                    SearchTerm(
                        **{field: record},
                        name=name,
                        relation=relation,
                        key=normalise(name)[:200],
                        words=" ".join(words_of(name))[:300],
                    )
                )
        return terms

    def index(self, records):
        """Replace the search rows of these records (after an editor saved them). Explicit:
        the admin, the API and the management commands call it; nothing hides it in save()."""
        by_field = {}
        for record in records:
            # The names as saved just now, not as prefetched when the record was read.
            getattr(record, "_prefetched_objects_cache", {}).pop("other_names", None)
            by_field.setdefault(SearchTerm.RECORD_FIELDS[type(record)], []).append(record)
        for field, group in by_field.items():
            self.filter(**{f"{field}__in": group}).delete()
            self.bulk_create(term for record in group for term in self.terms_for(record))


def loose(text):
    """Casefolded, accents stripped (NFKD), curly apostrophes straightened, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "").replace("\u2019", "'")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def normalise(text):
    """The form names are compared on: casefolded, no accents, letters and digits only."""
    return "".join(c for c in loose(text) if c.isalnum())


def words_of(text):
    """The words of a name for word-by-word matching: "Non-small cell" -> non, small, cell."""
    return "".join(c if c.isalnum() else " " for c in loose(text)).split()


class SearchTerm(models.Model):
    """One name of a searchable record, in the forms search compares (`/search/`).

    Derived data: rebuilt by `SearchTerm.objects.index(records)` when an editor saves a record
    (admin, API) and by `manage.py reindex_search` after bulk loads. Whether a record is
    public is decided at query time by joining its own table, so publishing needs no reindex.
    Database indexes (migration 0006): on PostgreSQL a B-tree (varchar_pattern_ops) on `key`
    for prefixes, a GIN trigram index on `key` for substrings and misspellings, a GIN
    full-text index on `words`; on SQLite two FTS5 tables (trigram on `key`, words on
    `words`) kept in step by triggers. If a later migration ever rebuilds this table on
    SQLite, it must recreate those triggers (the search tests would fail otherwise).
    """

    class Relation(models.TextChoices):
        OWN = "", "Own name"
        BRAND = "brand", "a brand name"
        ABBREVIATION = "abbreviation", "an abbreviation"
        SYNONYM = "synonym", "a synonym"
        OTHER = "other", "another name"

    therapy = models.ForeignKey(Therapy, on_delete=models.CASCADE, null=True, related_name="+")
    therapy_class = models.ForeignKey(
        TherapyClass, on_delete=models.CASCADE, null=True, related_name="+"
    )
    condition = models.ForeignKey(Condition, on_delete=models.CASCADE, null=True, related_name="+")
    glossary_term = models.ForeignKey(
        GlossaryTerm, on_delete=models.CASCADE, null=True, related_name="+"
    )
    name = models.CharField(max_length=200)
    relation = models.CharField(max_length=20, choices=Relation, blank=True)
    key = models.CharField(max_length=200, db_index=True)
    words = models.CharField(max_length=300)

    RECORD_FIELDS = {
        Therapy: "therapy",
        TherapyClass: "therapy_class",
        Condition: "condition",
        GlossaryTerm: "glossary_term",
    }

    objects = SearchTermQuerySet.as_manager()

    class Meta:
        ordering = ["key"]
        default_permissions = ()  # derived data: nobody edits it by hand
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(therapy__isnull=False, therapy_class=None, condition=None, glossary_term=None)
                    | Q(
                        therapy=None,
                        therapy_class__isnull=False,
                        condition=None,
                        glossary_term=None,
                    )
                    | Q(
                        therapy=None,
                        therapy_class=None,
                        condition__isnull=False,
                        glossary_term=None,
                    )
                    | Q(
                        therapy=None,
                        therapy_class=None,
                        condition=None,
                        glossary_term__isnull=False,
                    )
                ),
                name="searchterm_one_record",
            ),
        ]

    def __str__(self):
        return self.name
