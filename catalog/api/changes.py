"""`GET /api/v1/changes/`: the changes feed an API consumer keeps a copy of the public catalog
in sync with (catalog/feed/). Without `since`, a snapshot token and the links of the full
exports; with it, the changes after that token in commit order (`limit` at a time), each with
its record as the resource's export gives it, and the `next` token.

Each request first catches the feed up (a bounded batch of what writes noted); the page is then
one query, whatever the size of the catalog."""

import functools
import re
import time

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from .. import caching
from ..feed.journal import catch_up, last_seq
from ..feed.resources import resources
from ..models import FeedChange
from . import views
from .docs import invalid
from .schema import PROBLEM, ProblemSerializer, operation_responses
from .serializers import represent, serializer_plan

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
SNAPSHOT_SECONDS = 5
TOKEN = re.compile(r"[0-9]{1,18}")
NAMES = [resource.name for resource in resources()]


@functools.cache
def viewsets():
    """{resource name: its viewset}, as the API's router registers them."""
    from .urls import router  # the URLs import this module

    return {prefix: viewset for prefix, viewset, _basename in router.registry if prefix in NAMES}


@functools.cache
def plans():
    return {
        name: serializer_plan(viewset.serializer_class, ()) for name, viewset in viewsets().items()
    }


def item(change, absolute):
    """A change as the feed gives it: the record (created, changed) as its export does."""
    found = {"type": change.resource, "action": change.action, "key": change.key}
    plan = plans()[change.resource]
    if change.action == FeedChange.Action.MOVED:
        found["new_key"] = change.other_key
    if change.action == FeedChange.Action.CHANGED:
        found["old_key"] = change.other_key or None
        found["changed_fields"] = [name for name, key, _ in plan if key in change.changed]
    if change.row is not None:
        found["data"] = represent(plan, change.row, absolute)
    found["at"] = change.at
    return found


CHANGE = {
    "type": "therapies",
    "action": "changed",
    "key": "rituximab",
    "old_key": None,
    "changed_fields": ["brand_names", "other_names"],
    "data": {"slug": "rituximab", "name": "Rituximab", "brand_names": ["MabThera", "Rituxan"]},
    "at": "2026-12-03T09:30:00Z",
}
CHANGE_ITEM = functools.partial(
    inline_serializer,
    "Change",
    {
        "type": serializers.ChoiceField(NAMES),
        "action": serializers.ChoiceField(FeedChange.Action.values),
        "key": serializers.CharField(
            help_text="The slug (an indication: level/subject/condition)."
        ),
        "old_key": serializers.CharField(
            required=False, allow_null=True, help_text="Changed: the key before a rename."
        ),
        "new_key": serializers.CharField(
            required=False, help_text="Moved: the key after a rename."
        ),
        "changed_fields": serializers.ListField(child=serializers.CharField(), required=False),
        "data": serializers.DictField(
            required=False, help_text="Created or changed: the record, as its export gives it."
        ),
        "at": serializers.DateTimeField(),
    },
)


def responses():
    """What the feed answers: no 304 (it is asked again every time); 404 for a token it never
    gave."""
    found = operation_responses(
        "GET",
        None,
        OpenApiResponse(
            description="The changes after `since` in commit order, or (without it) a snapshot "
            "token and the exports.",
            response=inline_serializer(
                "ChangesPage",
                {
                    "next": serializers.CharField(help_text="The token to ask with next."),
                    "more": serializers.BooleanField(help_text="More changes are waiting now."),
                    "exports": serializers.DictField(
                        child=serializers.URLField(),
                        required=False,
                        help_text="Without `since`: each resource's full export (JSON Lines).",
                    ),
                    "results": CHANGE_ITEM(many=True),
                },
            ),
        ),
    )
    del found[304]
    found[(404, PROBLEM)] = OpenApiResponse(
        ProblemSerializer,
        description="No such token: this feed never gave it (a token from another server, or "
        "from a database since restored from an older backup). Start again without `since`.",
    )
    return found


DOCS = extend_schema(
    operation_id="changes_list",
    parameters=[
        OpenApiParameter(
            "since",
            {"type": "string", "pattern": f"^{TOKEN.pattern}$"},
            description="A token from an earlier answer (`next`). Without it: a snapshot token "
            "and the links of the full exports.",
        ),
        OpenApiParameter(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            description=f"Changes per answer, from 1 to {MAX_LIMIT}; {DEFAULT_LIMIT} if not given.",
        ),
    ],
    responses=responses(),
    summary="List the changes to the public catalog since a token",
    description="Every change to what the public sees, in commit order: `created` and "
    "`changed` carry the record as the resource's export gives it (store it under `key`); "
    "`unpublished`, `deleted` and `moved` (renamed away, `new_key` says where to) are "
    "tombstones (remove `key`). Start without `since` (until `more` is false), keep `next`, "
    "download the exports, then ask again with `since=<next>` until `more` is false. Or start "
    "from nothing with `since=0`: the whole feed, the whole catalog then every change, exact "
    "whatever is edited meanwhile. See the README's sync loop.",
    examples=[
        OpenApiExample("A change", value={"next": "42", "more": False, "results": [CHANGE]}),
        invalid(
            "Not a token", "since", "Not a token of this feed: use `next` from an earlier answer."
        ),
        OpenApiExample(
            "A snapshot",
            value={
                "next": "41",
                "more": False,
                "exports": {
                    "therapies": "https://immunosite.example/api/v1/therapies/?format=jsonl"
                },
                "results": [],
            },
        ),
    ],
)


def model_name(viewset):
    return viewset.queryset.model._meta.model_name


class ChangesView(APIView):
    """The changes to the public catalog, after a token."""

    known = ("since", "limit", "format")
    sends_validators = False  # no ETag or Last-Modified: the answer is asked for anew

    def query(self, request):
        query = request.query_params
        errors = {n: [views.suggest(n, self.known)] for n in query if n not in self.known}
        since = query.get("since")
        if since is not None and not TOKEN.fullmatch(since):
            errors["since"] = ["Not a token of this feed: use `next` from an earlier answer."]
        limit = query.get("limit", str(DEFAULT_LIMIT))
        if not (limit.isascii() and limit.isdigit() and 1 <= int(limit) <= MAX_LIMIT):
            errors["limit"] = [f"A whole number from 1 to {MAX_LIMIT}."]
        if errors:
            raise ValidationError(errors)
        return (None if since is None else int(since)), int(limit)

    @DOCS
    def get(self, request):
        since, limit = self.query(request)
        if since is None:
            # A snapshot token is worth something only once the feed has read every write
            # before it: catch up for a few seconds at most (`more`: ask again).
            deadline = time.monotonic() + SNAPSHOT_SECONDS
            while (more := catch_up(resources())) and time.monotonic() < deadline:
                pass
        else:
            more = catch_up(resources())
        last = last_seq()
        if since is None:
            exports = {
                name: reverse(f"{model_name(viewset)}-list", request=request) + "?format=jsonl"
                for name, viewset in viewsets().items()
            }
            body = {"next": str(last), "more": more, "exports": exports, "results": []}
        else:
            if since > last:
                raise NotFound("This feed has given no such token. Start again without `since`.")
            changes = list(FeedChange.objects.filter(seq__gt=since).order_by("seq")[: limit + 1])
            more = more or len(changes) > limit
            changes = changes[:limit]
            results = [item(change, request.build_absolute_uri) for change in changes]
            following = str(changes[-1].seq) if changes else str(since)
            body = {"next": following, "more": more, "results": results}
        response = Response(body)
        # Always asked again: the answer moves with every write, and `more` with each batch.
        caching.revalidate_shared(response)
        return response
