import re

RESULTS = re.compile(r'<ul class="results">(.*?)</ul>\s*(?:<nav|</section>)', re.S)
RESULT_LINK = re.compile(r'<h3><a href="/(?:therapies|classes|conditions)/([\w-]+)/">')


def listed_slugs(response):
    """The slugs of the records a list page shows, in page order."""
    html = response.content.decode()
    match = RESULTS.search(html)
    assert match, "the page has no result list"
    return RESULT_LINK.findall(match.group(1))


def api_slugs(response):
    return [item["slug"] for item in response.json()["results"]]
