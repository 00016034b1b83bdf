"""The API's JSON, written by orjson: the same bytes as REST framework's JSONRenderer (compact,
UTF-8, U+2028 and U+2029 escaped, dates and times, decimals and lazy text as its encoder writes
them), in a tenth of the time on a large response (a list with facets: 2,200 options at
100,000 therapies). An indented response (`Accept: application/json; indent=4`, the browsable
API) is left to REST framework, as orjson indents by two spaces only."""

import orjson
from rest_framework.renderers import JSONRenderer as RestFrameworkJSONRenderer
from rest_framework.utils.encoders import JSONEncoder

# Dates and times go to REST framework's encoder ("Z" for UTC, as before); keys that are not
# text (a count by id) are written as text, as the standard library's json does.
OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


class Written:
    """A part of a response already written as JSON (bytes), as `orjson.dumps` writes it with
    OPTIONS: the renderer embeds the bytes as they are (a list's facets, written once per
    catalog version and query, api/facets.py), the indented renderer reads them back."""

    __slots__ = ("json",)

    def __init__(self, json):
        self.json = json


class Encoder(JSONEncoder):
    """REST framework's encoder (the indented JSON and the browsable API), reading `Written`
    parts back."""

    def default(self, obj):
        if isinstance(obj, Written):
            return orjson.loads(obj.json)
        return super().default(obj)


class JSONRenderer(RestFrameworkJSONRenderer):
    encoder_class = Encoder

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        written = orjson.dumps(data, default=embedded(self.encoder_class()), option=OPTIONS)
        # As REST framework does: JSON that is also a strict subset of JavaScript.
        return written.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")


def embedded(encoder):
    """orjson's `default`: `Written` parts as they are, the rest as REST framework writes it."""

    def default(obj):
        if isinstance(obj, Written):
            return orjson.Fragment(obj.json)
        return encoder.default(obj)

    return default
