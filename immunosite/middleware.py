def validate_host(get_response):
    """Check the Host header before anything answers (WhiteNoise serves static files before
    Django's own host check would run). A foreign host raises DisallowedHost: a 400."""

    def middleware(request):
        request.get_host()
        return get_response(request)

    return middleware
