"""gzip for dynamic responses, where compressing is safe.

What is compressed: a response of a text type (HTML, JSON, problem+json, CSV, JSON Lines, XML
sitemaps, the OpenAPI schema) of at least MIN_BYTES, or streamed (the exports), for a client
whose Accept-Encoding takes gzip. Every such response says `Vary: Accept-Encoding`, and a
compressed one has `-gzip` added to its ETag (`"abc"` → `"abc-gzip"`): a validator of its own
for that representation (RFC 9110 §8.8.3.3), still strong, so a write's If-Match with it is
compared as usual (catalog/versions.py reads the record's token before the first dot).
Validators a client sends back in that form (If-None-Match, If-Match) are read as the identity
ETag they stand for before anything below this middleware sees them, so every 304 (page cache,
ConditionalGetMiddleware, record ETags) works for both forms; a 304 names the form the client
holds.

What never is (BREACH: a secret compressed next to text an attacker can put in the same
response leaks through the compressed length, a guess at a time): a response that used this
request's CSRF token (the admin, the login page, the browsable API's forms; told by whether the
token was asked for while answering, whatever the URL), and a response its view marked with
`never_compress()` (`/api/v1/me/`: the token's prefix). Both are sent as they are, with
`Cache-Control: no-transform`, which asks proxies not to compress them either.

The page cache (catalog/pagecache.py) compresses a page once, when it stores it (`gzipped`),
keeps the compressed body with the entry and serves it (`serve_gzipped`): a hit compresses
nothing.
"""

from django.utils.cache import cc_delim_re, patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags, parse_header_parameters
from django.utils.text import compress_sequence, compress_string

MIN_BYTES = 500  # smaller bodies gain too little to be worth it
GZIP = "gzip"
GZIP_SUFFIX = f'-{GZIP}"'
# Subtypes of application/ that are text (besides every */*+json and */*+xml).
TEXT_SUBTYPES = frozenset({"json", "jsonl", "xml", "javascript", "vnd.oai.openapi"})
# A response without a body, or one whose bytes a client asked for by range.
NO_BODY_STATUSES = frozenset({204, 206, 304})


# --- Negotiation and validators ---------------------------------------------------------------


def accepts_gzip(request):
    """Whether the client's Accept-Encoding takes gzip: listed (or `*` when it is not) with a
    q above 0."""
    weights = {}
    for item in request.META.get("HTTP_ACCEPT_ENCODING", "").split(","):
        name, params = parse_header_parameters(item)
        try:
            weights[name.strip()] = float(params.get("q", 1))
        except ValueError:
            continue  # a q that is not a number: the item says nothing
    return weights.get(GZIP, weights.get("*", 0.0)) > 0  # false for NaN too


def gzip_etag(etag):
    """The ETag of the gzip representation of the response whose ETag is `etag`."""
    return f"{etag[:-1]}{GZIP_SUFFIX}" if etag and etag.endswith('"') else etag


def identity_validators(header):
    """An If-None-Match or If-Match header with gzip ETags read as the identity ETags they
    stand for."""
    return header.replace(GZIP_SUFFIX, '"')


# --- What may be compressed -------------------------------------------------------------------


def carries_csrf_token(request):
    """Whether this request's CSRF token was used while answering it (so the body may hold it).
    Django's get_token (the {% csrf_token %} tag, the admin's forms, DRF's browsable API) puts
    CSRF_COOKIE_NEEDS_UPDATE in request.META; CsrfViewMiddleware, once it has sent the cookie,
    sets it to False but leaves it there, so its presence is the sign above that middleware as
    below it. Django also sets it when it replaces a malformed CSRF cookie or rotates the token
    at login: a response then goes uncompressed that could have been, which is safe."""
    return "CSRF_COOKIE_NEEDS_UPDATE" in request.META


def never_compress(response):
    """Mark `response` as holding a secret: it is sent as it is, and asks proxies to leave it so
    too (`Cache-Control: no-transform`)."""
    patch_cache_control(response, no_transform=True)
    return response


def marked_never_compress(response):
    directives = cc_delim_re.split(response.get("Cache-Control", ""))
    return "no-transform" in {d.split("=")[0].strip().lower() for d in directives}


def text_type(response):
    media = response.get("Content-Type", "").split(";")[0].strip().lower()
    kind, _, subtype = media.partition("/")
    return kind == "text" or subtype in TEXT_SUBTYPES or subtype.endswith(("+json", "+xml"))


def eligible(request, response):
    """Whether `response` is to be compressed for any client that takes gzip: a text body worth
    compressing, not compressed yet, holding no secret."""
    if response.status_code in NO_BODY_STATUSES or response.has_header("Content-Encoding"):
        return False
    if response.streaming and response.is_async:
        return False  # the site streams synchronously (WSGI); an async stream is left alone
    if not text_type(response) or (not response.streaming and len(response.content) < MIN_BYTES):
        return False
    return not (carries_csrf_token(request) or marked_never_compress(response))


# --- Compressing ------------------------------------------------------------------------------


def use_gzipped(response, body):
    """Send `body`, the gzip compression of `response`'s content, instead of the content."""
    response.content = body
    response["Content-Length"] = str(len(body))
    response["Content-Encoding"] = GZIP
    if response.has_header("ETag"):
        response["ETag"] = gzip_etag(response["ETag"])


def gzipped(request, response):
    """`response`'s content compressed, where that is allowed and makes it smaller, else None.
    For the page cache, which stores it with the page."""
    if response.streaming or not eligible(request, response):
        return None
    body = compress_string(response.content)
    return body if len(body) < len(response.content) else None


def serve_gzipped(request, response, body):
    """`response` as the client takes it, given `body`, its stored gzipped() (or None)."""
    if body is not None:
        patch_vary_headers(response, ["Accept-Encoding"])
        if accepts_gzip(request):
            use_gzipped(response, body)
    return response


def compress(request, response):
    """`response`, compressed if it is to be and the client takes gzip."""
    if not eligible(request, response):
        if carries_csrf_token(request):
            never_compress(response)
        return response
    patch_vary_headers(response, ["Accept-Encoding"])
    if not accepts_gzip(request):
        return response
    if response.streaming:
        response.streaming_content = compress_sequence(response.streaming_content)
        response["Content-Encoding"] = GZIP
        if response.has_header("ETag"):
            response["ETag"] = gzip_etag(response["ETag"])
        del response["Content-Length"]  # unknown until the stream ends
        return response
    body = compress_string(response.content)
    if len(body) < len(response.content):
        use_gzipped(response, body)
    return response


class CompressionMiddleware:
    """Compress what is safe to compress (see the module's docstring). It sits above the page
    cache, which hands it pages already compressed, and below WhiteNoise, which serves static
    files compressed at collectstatic."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        gzip_client = accepts_gzip(request)
        held = request.META.get("HTTP_IF_NONE_MATCH", "")
        if gzip_client:
            for name in ("HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH"):
                if name in request.META:
                    request.META[name] = identity_validators(request.META[name])
        response = self.get_response(request)
        if response.status_code == 304:
            patch_vary_headers(response, ["Accept-Encoding"])
            etag = response.get("ETag")
            tags = {tag.removeprefix("W/") for tag in parse_etags(held)}
            if gzip_client and etag and gzip_etag(etag).removeprefix("W/") in tags:
                response["ETag"] = gzip_etag(etag)  # the form the client holds
            return response
        return compress(request, response)
