import datetime
import html as html_lib
import re

import pytest
from django.template import loader
from markupsafe import escape

from catalog.models import GlossaryTerm, Therapy, TherapyClass

from .helpers import list_page_queries, listed_slugs, make_reviewer, page_text, review
from .servers import MakeRun

pytestmark = pytest.mark.django_db

ANTI_TNF = ["adalimumab", "certolizumab-pegol", "etanercept", "golimumab", "infliximab"]


def test_home_explains_immunotherapy_and_links_to_browse(client):
    response = client.get("/")
    html, text = response.content.decode(), page_text(response)
    assert "What is immunotherapy?" in text
    assert "biological therapy" in text.lower()
    for therapy_class in TherapyClass.objects.all():
        assert f'href="/classes/{therapy_class.slug}/"' in html
    assert 'href="/conditions/leukemia/"' in html
    assert 'href="/conditions/chronic-lymphocytic-leukemia/"' in html  # nested under leukemia
    assert html.count('role="search"') == 2  # header and home search boxes
    assert "Recruit" in text or "recruit" in text  # the four roles of modifiers


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", sorted(["interleukin-2", "rituximab", "tocilizumab", "trastuzumab", *ANTI_TNF])),
        ("q=Rituxan", ["rituximab"]),
        ("q=rituxan", ["rituximab"]),
        ("q=IL-2", ["interleukin-2"]),
        ("q=humira", ["adalimumab"]),
        ("q=zzz-no-such-name", []),
        ("therapy_class=anti-tnf-therapy", ANTI_TNF),
        ("therapy_class=interferons", []),
        ("action=suppresses", ANTI_TNF),
        ("action=stimulates", ["interleukin-2"]),
        (
            "condition=rheumatoid-arthritis",
            [
                "adalimumab",
                "certolizumab-pegol",
                "etanercept",
                "golimumab",
                "infliximab",
                "rituximab",
                "tocilizumab",
            ],
        ),
        # A parent condition matches its sub-conditions.
        ("condition=leukemia", ["rituximab"]),
        ("condition=lymphoma", ["rituximab"]),
        (
            "condition=inflammatory-bowel-disease",
            ["adalimumab", "certolizumab-pegol", "golimumab", "infliximab"],
        ),
        ("condition=breast-cancer", ["trastuzumab"]),
        ("condition_category=cancer", ["interleukin-2", "rituximab", "trastuzumab"]),
        # Filters combine with AND.
        (
            "therapy_class=monoclonal-antibodies&condition=rheumatoid-arthritis",
            ["rituximab", "tocilizumab"],
        ),
        (
            "therapy_class=anti-tnf-therapy&condition=ulcerative-colitis",
            ["adalimumab", "golimumab", "infliximab"],
        ),
        ("q=ritux&condition_category=autoimmune-inflammatory", ["rituximab"]),
        ("action=suppresses&condition_category=cancer", []),
    ],
)
def test_therapy_list_filters(client, query, expected):
    response = client.get(f"/therapies/?{query}")
    assert response.status_code == 200
    assert listed_slugs(response) == expected
    noun = "therapy" if len(expected) == 1 else "therapies"
    assert f"{len(expected)} {noun} found." in page_text(response)


def test_therapy_list_row_shows_class_brand_and_conditions(client):
    response = client.get("/therapies/?q=rituximab")
    html, text = response.content.decode(), page_text(response)
    assert "(Rituxan)" in text
    assert 'href="/classes/monoclonal-antibodies/"' in html
    assert "Non-Hodgkin's lymphoma" in text


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("therapy_class=no-such-class", "Class", "No class called “no-such-class”."),
        ("condition=atlantis-fever", "Condition", "No condition called “atlantis-fever”."),
        ("action=explodes", "Action on the immune system", "“explodes” is not one of the choices."),
        ("condition_category=%00", "Condition category", "is not one of the choices."),
        ("q=" + "x" * 101, "Search", "at most 100 characters"),
    ],
)
def test_therapy_list_bad_filter_is_a_400_with_a_form_error(client, query, field, message):
    response = client.get(f"/therapies/?{query}")
    assert response.status_code == 400
    html, text = response.content.decode(), page_text(response)
    assert "Some filters could not be applied" in text
    assert f">{field}</a>:" in html  # a link to the field
    assert message in text
    assert listed_slugs(response) == []


@pytest.mark.parametrize("page", ["abc", "-1", "0", "1.5", "%C2%B2", "%27%20OR%201=1"])
def test_list_page_that_is_not_a_number_is_a_400(client, page):
    response = client.get(f"/therapies/?page={page}")
    assert response.status_code == 400
    assert "is not a page number" in page_text(response)


def heading_and_title(response):
    content = response.content.decode()
    h1 = re.search(r"<h1>(.*?)</h1>", content, re.S).group(1)
    title = re.search(r"<title>(.*?)</title>", content, re.S).group(1)
    return html_lib.unescape(h1), html_lib.unescape(title)


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/therapies/?condition=rheumatoid-arthritis", "7 therapies for Rheumatoid arthritis"),
        ("/therapies/?therapy_class=monoclonal-antibodies", "3 therapies in Monoclonal antibodies"),
        ("/therapies/?q=ritux", "1 therapy matching “ritux”"),
        ("/therapies/?q=zumab&page=1", "3 therapies matching “zumab”"),
        ("/therapies/", "Therapies (9)"),
        ("/therapies/?q=&ordering=-name", "Therapies (9)"),  # the form's blanks and a sort
        (
            "/therapies/?condition=psoriasis,rheumatoid-arthritis&therapy_class=anti-tnf-therapy",
            "5 therapies in Anti-TNF therapy for Psoriasis or Rheumatoid arthritis",
        ),
        (
            "/therapies/?action=suppresses&condition_category=autoimmune-inflammatory",
            "5 therapies for autoimmune and inflammatory disease that suppress the immune system",
        ),
        ("/classes/?action=stimulates", "2 classes of therapy that stimulate the immune system"),
        ("/classes/?action=targets", "1 class of therapy that targets specific antigens"),
        ("/conditions/?therapy=trastuzumab", "1 condition treated with Trastuzumab"),
        ("/conditions/?category=cancer", "8 conditions in cancer"),
        ("/conditions/", "Conditions (15)"),
    ],
)
def test_a_list_says_what_it_shows_in_its_heading_and_title(client, url, heading):
    response = client.get(url)
    assert response.status_code == 200
    assert heading_and_title(response) == (heading, f"{heading} · immunosite")


def test_list_pages_have_breadcrumbs_from_home(client):
    for url, name in [("/therapies/", "Therapies"), ("/conditions/?q=a", "Conditions")]:
        content = client.get(url).content.decode()
        trail = re.search(r'<nav aria-label="Breadcrumb".*?</nav>', content, re.S).group(0)
        path = url.split("?")[0]
        assert re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', trail) == [
            ("/", "Home"),
            (path, name),
        ]


@pytest.mark.parametrize("typed", ["rheumatoid-arthritis", "RA", "rheumatoid ARTHRITIS"])
def test_typed_filters_show_the_records_names_not_what_was_typed(client, typed):
    content = client.get(f"/therapies/?condition={typed}").content.decode()
    field = re.search(r'<input [^>]*name="condition"[^>]*>', content).group(0)
    assert 'value="Rheumatoid arthritis"' in field
    several = client.get("/therapies/?condition=psoriasis,RA").content.decode()
    assert 'value="Psoriasis, Rheumatoid arthritis"' in several


def test_filter_help_and_sort_options_are_in_a_visitors_words(client):
    response = client.get("/therapies/")
    text, content = page_text(response), response.content.decode()
    for developer_word in ("slug", "prefix with", "descending", "comma-separated"):
        assert developer_word not in text.lower()
    sort = re.search(r'<select name="ordering".*?</select>', content, re.S).group(0)
    labels = re.findall(r">([^<]+)</option>", sort)
    assert [label.replace("\u2013", "-") for label in labels] == [
        "Default order",
        "Name A-Z",
        "Name Z-A",
        "Class A-Z",
        "Class Z-A",
        "Reviewed longest ago first",
        "Reviewed most recently first",
    ]


def test_use_this_data_comes_after_the_results_and_pagination(client, make_catalog):
    make_catalog(25)
    content = client.get("/therapies/?q=synth").content.decode()
    use = content.index('<h2 id="use-data-heading">Use this data</h2>')
    assert content.index('<ul class="results">') < content.index('class="pagination"') < use
    assert content.index("Download CSV") > use and content.index("API query") > use


def test_filters_fold_away_behind_a_summary_counting_the_active_ones(client):
    content = client.get("/therapies/?q=zumab&condition=RA&ordering=name").content.decode()
    assert '<details class="filter-panel">' in content  # closed: the results come first
    assert "<summary>Filter results (2 active)</summary>" in content
    assert "<summary>Filter results</summary>" in client.get("/therapies/").content.decode()
    # A filter to correct keeps the form open.
    wrong = client.get("/therapies/?condition=atlantis").content.decode()
    assert '<details class="filter-panel" open>' in wrong


def test_an_abbreviation_finds_its_condition_on_pages_and_api(client):
    by_name = listed_slugs(client.get("/therapies/?condition=Rheumatoid+arthritis"))
    assert listed_slugs(client.get("/therapies/?condition=RA")) == by_name
    api = client.get("/api/v1/therapies/?condition=ra").json()
    assert sorted(item["slug"] for item in api["results"]) == sorted(by_name)
    assert "rituximab" in listed_slugs(client.get("/therapies/?condition=CLL"))


@pytest.mark.parametrize(
    ("typed", "suggested", "corrected"),
    [
        ("rheumatoid arthritus", ["Rheumatoid arthritis"], "Rheumatoid+arthritis"),
        ("psoriatic arthritus", ["Psoriatic arthritis"], "Psoriatic+arthritis"),
        ("psoriasis arth", ["Psoriasis", "Psoriatic arthritis"], "Psoriatic+arthritis"),
    ],
)
def test_a_near_miss_is_a_400_asking_did_you_mean_with_the_corrected_list(
    client, typed, suggested, corrected
):
    response = client.get(f"/therapies/?condition={typed}&q=zumab&page=2")
    assert response.status_code == 400
    question = f"Did you mean {' or '.join(suggested)}?"
    assert f"No condition called “{typed}”. {question}" in page_text(response).replace(" ?", "?")
    errors = re.search(r'<div class="form-errors".*?</div>', response.content.decode(), re.S)
    links = dict(re.findall(r'<a href="\?([^"]+)">([^<]+)</a>', errors.group(0)))
    link = next(href for href, name in links.items() if name == corrected.replace("+", " "))
    assert html_lib.unescape(link) == f"condition={corrected}&q=zumab"  # the query, page 1
    assert client.get(f"/therapies/?{html_lib.unescape(link)}").status_code == 200
    problem = client.get(f"/api/v1/therapies/?condition={typed}&q=zumab").json()
    assert problem["invalid_params"] == [
        {"name": "condition", "reason": f"No condition called “{typed}”. {question}"}
    ]
    url = f"http://testserver/api/v1/therapies/?condition={corrected}&q=zumab"
    assert {"name": "condition", "value": corrected.replace("+", " "), "url": url} in (
        problem["suggestions"]
    )
    assert client.get(url).status_code == 200


def test_a_value_like_nothing_suggests_nothing(client):
    response = client.get("/therapies/?condition=Atlantis+fever")
    assert response.status_code == 400
    assert "No condition called “Atlantis fever”." in page_text(response)
    assert "Did you mean" not in page_text(response)


def test_a_misspelled_parameter_is_named_and_the_rest_of_the_query_applies(client):
    response = client.get("/therapies/?conditon=psoriasis&q=zumab")
    assert response.status_code == 200
    assert listed_slugs(response) == listed_slugs(client.get("/therapies/?q=zumab"))
    content = html_lib.unescape(response.content.decode())
    notice = re.search(r'<div class="notice" role="status">.*?</div>', content, re.S).group(0)
    text = " ".join(re.sub(r"<[^>]+>", "", notice).split())
    assert text == "Unknown filter ‘conditon’ — did you mean ‘condition’?"  # noqa: RUF001
    assert '<a href="?condition=psoriasis&q=zumab">‘condition’</a>' in notice  # noqa: RUF001
    assert client.get("/api/v1/therapies/?conditon=psoriasis").status_code == 400  # as before
    unknown = page_text(client.get("/therapies/?colour=red"))
    assert "Unknown filter ‘colour’ — ignored." in unknown  # noqa: RUF001
    tracked = page_text(client.get("/therapies/?utm_source=newsletter&fbclid=x"))
    assert "Unknown filter" not in tracked


def test_a_page_that_is_not_a_number_is_the_list_saying_so_with_a_link_to_page_1(client):
    response = client.get("/therapies/?q=zumab&page=abc")
    assert response.status_code == 400
    content = response.content.decode()
    assert heading_and_title(response)[0] == "3 therapies matching “zumab”"
    assert re.search(r'<input [^>]*name="q" value="zumab"', content)  # the filters kept
    pages = re.search(r'<nav class="pagination".*?</nav>', content, re.S).group(0)
    assert "“abc” is not a page number." in html_lib.unescape(pages)
    assert '<a href="?q=zumab&amp;page=1">Go to page 1</a>' in pages
    assert listed_slugs(response) == []


def test_list_page_past_the_end_is_a_404_in_site_design(client):
    response = client.get("/therapies/?page=999")
    assert response.status_code == 404
    assert "Page not found" in page_text(response)
    assert 'href="/therapies/"' in response.content.decode()  # site navigation present


def test_pagination_keeps_active_filters(client, make_catalog):
    make_catalog(45)
    response = client.get("/therapies/?therapy_class=synth-class&q=synth")
    html, text = response.content.decode(), page_text(response)
    assert "45 therapies found." in text
    assert "Page 1 of 3" in text
    assert 'href="?therapy_class=synth-class&amp;q=synth&amp;page=2"' in html
    page_2 = client.get("/therapies/?therapy_class=synth-class&q=synth&page=2")
    assert listed_slugs(page_2)[0] == "synth-00020"
    assert 'rel="prev" href="?therapy_class=synth-class&amp;q=synth&amp;page=1"' in (
        page_2.content.decode()
    )


@pytest.mark.parametrize(
    "url",
    [
        "/therapies/",
        "/therapies/?condition=synth-parent",
        "/therapies/?therapy_class=synth-class&q=synth",
        "/conditions/",
        "/conditions/?therapy_class=synth-class",
        "/classes/",
        "/glossary/",
        "/",
    ],
)
@pytest.mark.parametrize("size", [5, 60])
def test_list_pages_use_a_constant_number_of_queries(
    client, make_catalog, django_assert_max_num_queries, url, size
):
    """At most 6 queries, the page cache's catalog version included (tests/test_scale.py: the
    same number at every size and page size), and one per facet until the facet counts are
    cached (helpers.list_page_queries); then 6 again."""
    make_catalog(size)
    with django_assert_max_num_queries(list_page_queries(url)):
        response = client.get(url)
    assert response.status_code == 200
    with django_assert_max_num_queries(list_page_queries(url, facets_cached=True)):
        again = client.get(url)
    assert again.status_code == 200 and again.content == response.content


def test_therapy_detail_shows_names_indications_sources_and_review(client):
    response = client.get("/therapies/rituximab/")
    text = page_text(response)
    assert "<h1>Rituximab (Rituxan)</h1>" in response.content.decode()
    assert "Rituxan" in text
    assert "Monoclonal antibodies" in text
    for condition in ["Non-Hodgkin", "Chronic lymphocytic leukemia", "Rheumatoid arthritis"]:
        assert condition in text
    assert "When other agents have not worked" in text
    assert "Drugs.com" in text
    assert "Not yet reviewed by our medical reviewers." in text
    assert "last updated 12 January 2022" in text  # the article's own date, in its citation
    assert "Not medical advice." in text
    # What its class as a whole is used for is shown too.
    assert "Conditions its class as a whole is used for" in text
    assert "Psoriatic arthritis" in text


def test_anti_tnf_detail_cites_its_label_not_the_article(client):
    text = page_text(client.get("/therapies/adalimumab/"))
    assert "Humira" in text
    assert "AbbVie Inc.; label on DailyMed" in text
    assert "HUMIRA (adalimumab) prescribing information" in text
    assert "Not yet reviewed by our medical reviewers." in text
    assert "Crohn" in text and "Ulcerative colitis" in text


def test_class_detail_lists_therapies_and_class_level_indications(client):
    response = client.get("/classes/interferons/")
    text = page_text(response)
    assert "<h1>Interferons</h1>" in response.content.decode()
    for condition in ["Kidney cancer", "Kaposi", "Melanoma", "Leukemia", "Lymphoma"]:
        assert condition in text
    assert "Certain types" in text
    assert "The sources name no individual therapies in this class." in text
    text = page_text(client.get("/classes/anti-tnf-therapy/"))
    for name in ["Adalimumab", "Certolizumab pegol", "Etanercept", "Golimumab", "Infliximab"]:
        assert name in text
    assert "When conventional drugs fail" in text


def test_condition_detail_shows_therapies_directly_and_through_their_class(client):
    response = client.get("/conditions/rheumatoid-arthritis/")
    html, text = response.content.decode(), page_text(response)
    assert "Therapies used for Rheumatoid arthritis" in text
    assert 'href="/therapies/tocilizumab/"' in html
    assert 'href="/therapies/rituximab/"' in html
    assert "When other agents have not worked" in text
    assert "Whole class" in text
    assert 'href="/classes/anti-tnf-therapy/"' in html
    assert "When conventional drugs fail" in text
    assert 'href="/classes/monoclonal-antibodies/"' in html
    assert "May help" in text
    assert 'href="/therapies/trastuzumab/"' not in html  # class-level use is not agent-level


def test_parent_condition_detail_includes_sub_conditions(client):
    html = client.get("/conditions/leukemia/").content.decode()
    assert 'href="/conditions/chronic-lymphocytic-leukemia/"' in html
    assert 'href="/therapies/rituximab/"' in html  # through chronic lymphocytic leukemia
    assert 'href="/classes/interferons/"' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=cancer&q=leuk", ["chronic-lymphocytic-leukemia", "leukemia"]),
        (
            "therapy=rituximab",
            ["chronic-lymphocytic-leukemia", "non-hodgkins-lymphoma", "rheumatoid-arthritis"],
        ),
        ("therapy=tocilizumab", ["rheumatoid-arthritis"]),
        (
            "therapy_class=anti-tnf-therapy",
            [
                "crohns-disease",
                "inflammatory-bowel-disease",
                "psoriasis",
                "psoriatic-arthritis",
                "rheumatoid-arthritis",
                "ulcerative-colitis",
            ],
        ),
        ("therapy_class=interleukins", ["kidney-cancer", "melanoma"]),
        ("q=Crohns", ["crohns-disease"]),
        ("category=autoimmune-inflammatory&therapy_class=interferons", []),
    ],
)
def test_condition_list_filters(client, query, expected):
    response = client.get(f"/conditions/?{query}")
    assert response.status_code == 200
    assert listed_slugs(response) == expected


def test_condition_list_bad_filter_is_a_400(client):
    response = client.get("/conditions/?therapy=unknown&category=cancer")
    assert response.status_code == 400
    assert "No therapy called “unknown”." in page_text(response)


def test_class_list_filters_by_action(client):
    response = client.get("/classes/?action=stimulates")
    assert listed_slugs(response) == ["colony-stimulating-factors", "interleukins"]


def test_glossary_shows_terms_and_modifier_roles(client):
    response = client.get("/glossary/")
    html, text = response.content.decode(), page_text(response)
    for term in ["Antigen", "Antibody", "Lymphocyte", "Tumor necrosis factor"]:
        assert term in text
    assert html.count('<li id="role-') == 4
    searched = client.get("/glossary/?q=lymphocyte").content.decode()
    assert 'id="lymphocyte"' in searched
    assert 'id="antigen"' not in searched


@pytest.mark.parametrize(
    "url", ["/therapies/no-such-drug/", "/classes/nope/", "/conditions/nope/", "/nowhere/"]
)
def test_unknown_pages_are_404s_in_site_design(client, url):
    response = client.get(url)
    assert response.status_code == 404
    text = page_text(response)
    assert "Page not found" in text
    assert "Skip to content" in text


def test_hostile_text_in_content_is_escaped(client, article):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    therapy = Therapy.objects.get(slug="rituximab")
    therapy.summary = payload
    therapy.save()
    for url in ["/therapies/rituximab/", "/therapies/?q=rituximab"]:
        html = client.get(url).content.decode()
        assert payload not in html
        assert escape(payload) in html


@pytest.mark.parametrize(
    "query",
    [
        "q=%00",
        "{related}=%00",
        "therapy_class=%ff%fe",
        "{related}=%27%3B%20DROP%20TABLE%20catalog_therapy%3B--",
        "q=" + "%E2%80%AE" * 50 + "x" * 60,
        "page=%00",
        "page=99999999999999999999999",
    ],
)
@pytest.mark.parametrize(
    ("prefix", "related"),
    [
        ("/therapies/", "condition"),
        ("/conditions/", "therapy"),
        ("/api/v1/therapies/", "condition"),
    ],
)
def test_hostile_query_strings_get_a_clear_answer_and_leave_data_intact(
    client, prefix, related, query
):
    count = Therapy.objects.count()
    response = client.get(f"{prefix}?{query.format(related=related)}")
    assert response.status_code in (400, 404)
    assert Therapy.objects.count() == count
    if response.status_code == 400 and prefix.startswith("/api/"):
        assert response.json()["invalid_params"]  # a problem naming the parameter


def test_detail_page_names_its_reviewer_under_the_title_and_the_next_review(client):
    jane = make_reviewer()
    review(Therapy.objects.get(slug="tocilizumab"), jane, datetime.date(2026, 12, 3))
    response = client.get("/therapies/tocilizumab/")
    html = response.content.decode()
    text = page_text(response).replace(" .", ".")  # a date is a <time>, the stop after it
    assert (
        "Medically reviewed by Jane Doe, MD, rheumatology — 3 December 2026. "
        "Next review due 3 December 2027." in text
    )
    assert html.index("<h1>") < html.index("Medically reviewed by") < html.index("On this page")
    assert '<time datetime="2026-12-03">3 December 2026</time>' in html
    assert "jdoe" not in html  # the login name is never public


def test_a_review_past_its_due_date_says_so(client):
    review(Therapy.objects.get(slug="tocilizumab"), make_reviewer(), datetime.date(2024, 1, 5))
    text = page_text(client.get("/therapies/tocilizumab/")).replace(" .", ".")
    assert "Medically reviewed by Jane Doe, MD, rheumatology — 5 January 2024." in text
    assert "Review overdue: the next review was due 4 January 2025." in text


def test_a_source_review_date_is_not_the_sites_review(client):
    """The article's own "last updated 12 January 2022" belongs to its citation."""
    text = page_text(client.get("/therapies/rituximab/"))
    assert "Not yet reviewed by our medical reviewers." in text
    assert "Medically reviewed by" not in text.replace("Medically reviewed by Drugs.com", "")
    assert "Drugs.com, “Immunotherapy” (Last updated 12 January 2022), last updated" in text


def test_last_updated_is_when_the_content_last_changed(client):
    therapy = Therapy.objects.get(slug="rituximab")
    therapy.summary = "An edited summary."
    therapy.save()
    edited = datetime.datetime(2026, 11, 20, 9, 30, tzinfo=datetime.UTC)
    therapy.history.filter(pk=therapy.history.latest().pk).update(history_date=edited)
    text = page_text(client.get("/therapies/rituximab/")).replace(" .", ".")
    assert "Last updated 20 November 2026." in text  # the history's date, not the row's


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/therapies/",
        "/therapies/rituximab/",
        "/classes/monoclonal-antibodies/",
        "/conditions/rheumatoid-arthritis/",
        "/glossary/",
        "/a-z/",
        "/matrix/",
        "/search/?q=rituximab",
    ],
)
def test_every_page_says_not_medical_advice_once(client, url):
    body = client.get(url).content.decode()
    assert body.count("Not medical advice") == 1, url


# --- drug, class and condition pages: names, summary, data link, trail, uses ---------------


def main_html(response):
    """The page's <main>, where the record's content is (not the head's meta description)."""
    body = response.content.decode()
    return body[body.index("<main") : body.index("</main>")]


def main_text(response):
    """The visible text of the page's <main>, tags stripped (glossary links too)."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", main_html(response))).split())


def test_drug_page_title_has_the_generic_and_brand_names_and_other_names_below(client):
    rituximab = Therapy.objects.get(slug="rituximab")
    rituximab.other_names.create(name="MabThera", kind="brand")
    rituximab.other_names.create(name="RTX", kind="abbreviation")
    response = client.get("/therapies/rituximab/")
    html, text = main_html(response), page_text(response)
    assert "<h1>Rituximab (MabThera, Rituxan)</h1>" in html  # the record's order (the API's)
    assert "Also called: RTX" in text
    assert "Brand name" not in text  # no "Brand name … / Brand name …" list
    order = ["<h1>", "Not yet reviewed", 'class="lead"', "On this page", 'id="uses-heading"']
    positions = [html.index(marker) for marker in [*order, 'id="sources-heading"']]
    assert positions == sorted(positions)
    contents = html.split('id="contents-heading"')[1].split("</nav>")[0]
    assert 'href="#uses">What it is used for</a>' in contents
    assert 'href="#sources">Sources</a>' in contents
    # A drug without brand names keeps its plain name.
    assert "<h1>Tocilizumab (Actemra)</h1>" in main_html(client.get("/therapies/tocilizumab/"))
    assert "<h1>Interleukin-2</h1>" in main_html(client.get("/therapies/interleukin-2/"))


def test_a_description_repeating_the_summary_shows_each_sentence_once(client):
    rituximab = Therapy.objects.get(slug="rituximab")
    first = "Rituximab (Rituxan) is a monoclonal antibody."
    assert rituximab.summary.startswith(first)
    rituximab.description = f"{first} It is given as an infusion into a vein."
    rituximab.save()
    response = client.get("/therapies/rituximab/")
    assert main_text(response).count("is a monoclonal antibody .") == 1  # a glossary link
    assert "<p>It is given as an infusion into a vein.</p>" in main_html(response)

    antibodies = TherapyClass.objects.get(slug="monoclonal-antibodies")
    antibodies.description = antibodies.summary  # all of it a repeat: no description at all
    antibodies.save()
    text = main_text(client.get("/classes/monoclonal-antibodies/"))
    assert text.count("are made in a lab.") == 1


def test_the_repeat_rule_compares_sentences_loosely_and_keeps_paragraphs():
    from catalog.text import without_repeats

    summary = "It eases pain. It is a pill."
    assert without_repeats("It eases pain.  Take it daily.\n\nIT IS A PILL.", summary) == (
        "Take it daily."
    )
    assert without_repeats("One.\n\nTwo. It eases pain.", summary) == "One.\n\nTwo."
    assert without_repeats("It eases pain it says.", summary) == "It eases pain it says."
    assert without_repeats("", summary) == ""


@pytest.mark.parametrize(
    ("url", "api_url"),
    [
        ("/therapies/rituximab/", "/api/v1/therapies/rituximab/"),
        ("/classes/monoclonal-antibodies/", "/api/v1/therapy-classes/monoclonal-antibodies/"),
        ("/conditions/rheumatoid-arthritis/", "/api/v1/conditions/rheumatoid-arthritis/"),
    ],
)
def test_read_the_same_data_as_json_links_to_the_records_own_api_url(client, url, api_url):
    footer = client.get(url).content.decode().split('<footer class="site-footer">')[1]
    assert f'<a href="{api_url}">Read the same data as JSON</a>.' in footer
    record = client.get(api_url, HTTP_ACCEPT="application/json").json()
    assert record["slug"] == url.rstrip("/").rsplit("/", 1)[1]
    # Other pages still link to the API's root.
    assert 'For developers: <a href="/api/v1/">the API</a>.' in client.get("/").content.decode()


def breadcrumb_trail(response):
    """The breadcrumb trail: (name, path) pairs, and the path marked as the current page."""
    body = response.content.decode()
    assert body.count('aria-label="Breadcrumb"') == 1  # the old per-template trail is gone
    nav = body.split('aria-label="Breadcrumb"')[1].split("</nav>")[0]
    links = re.findall(r'<a href="([^"]*)"( aria-current="page")?>([^<]*)</a>', nav)
    current = [path for path, mark, _ in links if mark]
    return [(html_lib.unescape(name), path) for path, _, name in links], current


@pytest.mark.parametrize(
    ("url", "trail"),
    [
        (
            "/therapies/rituximab/",
            [
                ("Home", "/"),
                ("Therapies", "/therapies/"),
                ("Monoclonal antibodies", "/classes/monoclonal-antibodies/"),
                ("Rituximab", "/therapies/rituximab/"),
            ],
        ),
        (
            "/classes/monoclonal-antibodies/",
            [
                ("Home", "/"),
                ("Classes", "/classes/"),
                ("Monoclonal antibodies", "/classes/monoclonal-antibodies/"),
            ],
        ),
        (
            "/conditions/crohns-disease/",
            [
                ("Home", "/"),
                ("Conditions", "/conditions/"),
                ("Inflammatory bowel disease", "/conditions/inflammatory-bowel-disease/"),
                ("Crohn's disease", "/conditions/crohns-disease/"),
            ],
        ),
        (
            "/conditions/rheumatoid-arthritis/",
            [
                ("Home", "/"),
                ("Conditions", "/conditions/"),
                ("Rheumatoid arthritis", "/conditions/rheumatoid-arthritis/"),
            ],
        ),
    ],
)
def test_detail_breadcrumbs_follow_the_contents_hierarchy(client, url, trail):
    assert breadcrumb_trail(client.get(url)) == (trail, [url])


def test_a_preview_has_the_same_trail_ending_at_itself(client, admin_user):
    client.force_login(admin_user)
    trail, current = breadcrumb_trail(client.get("/preview/therapies/rituximab/"))
    assert [name for name, _ in trail] == [
        "Home",
        "Therapies",
        "Monoclonal antibodies",
        "Rituximab",
    ]
    assert current == ["/preview/therapies/rituximab/"]


def uses_table(response):
    body = main_html(response)
    return body.split('<table class="indications condition-uses"')[1].split("</table>")[0]


def test_condition_page_says_what_it_is_then_lists_its_therapies_in_one_table(client):
    response = client.get("/conditions/rheumatoid-arthritis/")
    html = main_html(response)
    assert html.count("<table") == 1
    assert html.index('id="what-it-is-heading"') < html.index('id="uses-heading"')
    assert '<h2 id="uses-heading">Therapies used for Rheumatoid arthritis</h2>' in html
    table = uses_table(response)
    headers = re.findall(r'<th scope="col">([^<]*)</th>', table)
    assert headers == [
        "Therapy",
        "Brand names",
        "Class",
        "Level",
        "How the source puts it",
        "Limits the source sets",
        "Evidence",
    ]
    rows = {
        re.search(r'<th scope="row"><a href="([^"]*)">', row).group(1): row
        for row in table.split("<tr>")[2:]
    }
    rituximab = rows["/therapies/rituximab/"]
    assert '<td data-label="Brand names">Rituxan</td>' in rituximab
    assert 'href="/classes/monoclonal-antibodies/">Monoclonal antibodies</a>' in rituximab
    assert '<td data-label="Level">Agent</td>' in rituximab
    assert "When other agents have not worked" in rituximab
    assert "Moderately to severely active; adults; with methotrexate" in rituximab
    anti_tnf = rows["/classes/anti-tnf-therapy/"]
    assert '<td data-label="Level">Whole class</td>' in anti_tnf
    assert "When conventional drugs fail" in anti_tnf
    # Each use links to its evidence: the full citation in the page's sources.
    evidence = re.findall(r'<a href="#(source-[\w-]+)">', table)
    assert evidence and all(f'<li id="{anchor}">' in html for anchor in evidence)
    assert 'href="#source-fda-label-rituxan">Genentech' in rituximab


def test_a_parent_conditions_table_says_which_sub_condition_a_use_is_for(client):
    table = uses_table(client.get("/conditions/leukemia/"))
    rituximab = table.split('href="/therapies/rituximab/"')[1].split("</tr>")[0]
    assert "(for Chronic lymphocytic leukemia)" in rituximab
    assert 'href="/classes/interferons/"' in table


# --- navigation, breadcrumbs, glossary and A-Z, error pages -----------------------------------


def main_nav(html):
    return re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S).group(1)


@pytest.mark.parametrize(
    ("url", "section", "current"),
    [
        ("/therapies/", "Therapies", "page"),
        ("/therapies/?condition=rheumatoid-arthritis", "Therapies", "page"),
        ("/therapies/rituximab/", "Therapies", "true"),
        ("/classes/", "Classes", "page"),
        ("/classes/monoclonal-antibodies/", "Classes", "true"),
        ("/conditions/", "Conditions", "page"),
        ("/conditions/rheumatoid-arthritis/", "Conditions", "true"),
        ("/glossary/", "Glossary", "page"),
        ("/a-z/", "A\u2013Z", "page"),
        ("/matrix/", "Matrix", "page"),
    ],
)
def test_main_navigation_marks_the_current_section(client, url, section, current):
    nav = main_nav(client.get(url).content.decode())
    assert re.findall(r'aria-current="(\w+)">([^<]+)</a>', nav) == [(current, section)]


@pytest.mark.parametrize("url", ["/", "/search/?q=rituximab", "/no-such-page/"])
def test_main_navigation_marks_no_section_outside_them(client, url):
    assert "aria-current" not in main_nav(client.get(url).content.decode())


def test_api_link_is_in_the_footer_for_developers_not_in_the_main_navigation(client):
    html = client.get("/therapies/").content.decode()
    assert 'href="/api/v1/"' not in main_nav(html)
    footer = html.split('<footer class="site-footer">')[1]
    assert 'For developers: <a href="/api/v1/">the API</a>' in footer


@pytest.mark.parametrize(
    ("url", "current"), [("/glossary/", "Glossary"), ("/a-z/", "A\u2013Z index")]
)
def test_glossary_and_a_z_have_breadcrumbs_from_home_to_the_page(client, url, current):
    html = client.get(url).content.decode()
    trail = re.search(r'<nav aria-label="Breadcrumb" class="breadcrumb">(.*?)</nav>', html, re.S)
    assert re.findall(r"<li>(.*?)</li>", trail.group(1)) == [
        '<a href="/">Home</a>',
        f'<a href="{url}" aria-current="page">{current}</a>',
    ]
    assert html.index('aria-label="Breadcrumb"') < html.index("<h1>")


def test_home_has_no_breadcrumbs(client):
    assert 'aria-label="Breadcrumb"' not in client.get("/").content.decode()


def test_a_z_lists_classes_with_their_abbreviations_as_see_entries(client):
    response = client.get("/a-z/")
    html, text = response.content.decode(), page_text(response)
    for therapy_class in TherapyClass.objects.published():
        assert (
            f'<a href="{therapy_class.get_absolute_url()}">{therapy_class.name}</a> '
            '<span class="tag">therapy class</span>'
        ) in html
    assert "CSFs, see Colony stimulating factors therapy class" in text
    assert "Every therapy, class of therapy and condition, A to Z." in text


def test_a_z_leaves_out_draft_classes(client):
    TherapyClass.objects.filter(slug="interferons").update(status="draft")
    html = client.get("/a-z/").content.decode()
    assert 'href="/classes/interferons/"' not in html
    assert 'href="/classes/interleukins/"' in html


def test_long_a_z_lists_classes_under_their_letter_within_its_query_bound(
    client, make_catalog, monkeypatch, django_assert_max_num_queries
):
    make_catalog(30)
    monkeypatch.setattr("catalog.views.pages.AZ_ONE_PAGE_LIMIT", 20)
    with django_assert_max_num_queries(6):
        response = client.get("/a-z/?letter=M")
    html = response.content.decode()
    assert "one letter at a time" in page_text(response)
    assert (
        '<a href="/classes/monoclonal-antibodies/">Monoclonal antibodies</a> '
        '<span class="tag">therapy class</span>'
    ) in html


def glossary_entry(html, slug):
    return re.search(rf'<dt id="{slug}">.*?</dd>', html, re.S).group(0)


@pytest.mark.parametrize(
    ("slug", "url", "name"),
    [
        # A singular term, a plural class name.
        ("monoclonal-antibody", "/classes/monoclonal-antibodies/", "Monoclonal antibodies"),
        ("interferon", "/classes/interferons/", "Interferons"),
        ("colony-stimulating-factor", "/classes/colony-stimulating-factors/", "Colony stimulating"),
    ],
)
def test_glossary_terms_link_to_the_records_they_explain(client, slug, url, name):
    entry = glossary_entry(client.get("/glossary/").content.decode(), slug)
    see_also = re.search(r'<span class="see-also">See also: (.*?)\.</span>', entry).group(1)
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a> \(([^)]+)\)', see_also) == [
        (url, TherapyClass.objects.get(slug=url.split("/")[2]).name, "therapy class")
    ]
    assert name in see_also


def test_glossary_term_links_only_published_records_and_only_matching_names(client):
    TherapyClass.objects.filter(slug="interferons").update(status="draft")
    html = client.get("/glossary/").content.decode()
    assert "See also" not in glossary_entry(html, "interferon")
    # "Antibody" is a word of "Monoclonal antibodies", not one of its names.
    assert "See also" not in glossary_entry(html, "antibody")


def test_the_records_every_glossary_term_explains_are_read_in_one_query(
    django_assert_num_queries,
):
    terms = list(GlossaryTerm.objects.rows("slug", "term", "also_called"))
    assert len(terms) > 10
    with django_assert_num_queries(1):
        explained = GlossaryTerm.objects.records_explained(terms)
    assert [r["name"] for r in explained["monoclonal-antibody"]] == ["Monoclonal antibodies"]


@pytest.mark.parametrize(
    ("url", "message", "back"),
    [
        ("/a-z/?letter=Q1", "Choose a letter from A to Z, or # for other names.", "/a-z/"),
    ],
)
def test_bad_request_page_says_what_was_wrong_and_links_back_to_the_page(
    client, url, message, back
):
    response = client.get(url)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'<p class="lead problem">{escape(message)}</p>' in html
    assert f'<a href="{back}">open this page without the choices in its address</a>' in html
    assert 'aria-label="Main"' in html and "Not medical advice" in html


def test_bad_request_without_a_message_still_says_how_to_fix_it(client):
    response = client.get("/therapies/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    text = page_text(response)
    assert "The address, or a form sent with it, could not be understood." in text
    assert "Check the address for a typing mistake" in text
    assert "evil.example" not in text  # Django's own message names the host: never shown


def site_design(html):
    """What every page of the site shows: the main navigation, the footer's note, the icon."""
    assert 'aria-label="Main"' in html and 'href="/therapies/"' in html
    assert "Not medical advice" in html
    assert 'rel="icon" href="/static/favicon' in html
    assert 'href="/static/css/site' in html


def test_error_pages_keep_the_sites_design(client):
    site_design(client.get("/no-such-page/").content.decode())
    site_design(client.post("/therapies/").content.decode())  # 405
    for template in ["500.html", "503.html", "409.html"]:
        site_design(loader.render_to_string(template))


# --- `make run`: the site as visitors see it ---------------------------------------------------


@pytest.fixture(scope="module")
def make_run():
    """`make run` started as a newcomer starts it (DJANGO_DEBUG unset), on a port of its own."""
    with MakeRun("run") as server:
        yield server


@pytest.mark.servers
@pytest.mark.once
def test_make_run_shows_the_sites_own_404_page_not_djangos_url_list(make_run):
    reply = make_run.get("/no-such-page/")
    assert reply.status == 404
    assert "<h1>Page not found</h1>" in reply.text
    assert "There is no page at" in reply.text and "Skip to content" in reply.text
    assert "URLconf" not in reply.text and "DEBUG = True" not in reply.text


@pytest.mark.servers
@pytest.mark.once
def test_make_run_answers_a_bad_page_number_with_its_message_not_a_traceback(make_run):
    reply = make_run.get("/therapies/?page=abc")
    assert reply.status == 400
    assert "“abc” is not a page number. Go to page 1" in " ".join(
        re.sub(r"<[^>]+>", " ", html_lib.unescape(reply.text)).split()
    )
    assert "Traceback" not in reply.text and len(reply.body) < 20_000
    assert 'aria-label="Main"' in reply.text  # the site's own design


@pytest.mark.servers
@pytest.mark.once
def test_make_run_answers_a_bad_api_url_with_problem_json(make_run):
    reply = make_run.get("/api/v1/therapy/")
    assert reply.status == 404
    assert reply.header("Content-Type") == "application/problem+json"
    assert reply.json()["detail"] == "There is no API resource at this URL."


@pytest.mark.servers
@pytest.mark.parametrize(
    ("link", "content_type"),
    [
        (r'rel="stylesheet" href="(/static/css/site\.[0-9a-f]{12}\.css)"', "text/css"),
        (r'rel="icon" href="(/static/favicon\.[0-9a-f]{12}\.svg)"', "image/svg+xml"),
    ],
)
def test_make_run_serves_the_collected_static_files(make_run, link, content_type):
    """The stylesheet and the favicon under their hashed production names, by WhiteNoise, and
    the page's CSP lets the icon load (img-src 'self')."""
    page = make_run.get("/")
    found = re.search(link, page.text)
    assert found, f"no {link} in the page"
    reply = make_run.get(found.group(1))
    assert reply.status == 200
    assert reply.header("Content-Type").startswith(content_type)
    assert "max-age=315360000" in reply.header("Cache-Control")
    assert "img-src 'self'" in page.header("Content-Security-Policy")


@pytest.mark.servers
@pytest.mark.once
def test_make_run_debug_keeps_djangos_debug_pages():
    with MakeRun("run-debug") as server:
        reply = server.get("/no-such-page/")
        assert reply.status == 404
        assert "Using the URLconf defined in" in reply.text
        assert "DEBUG = True" in reply.text


def test_the_glossary_offers_its_data_after_the_terms(client):
    content = client.get("/glossary/").content.decode()
    use = content.index('<h2 id="use-data-heading">Use this data</h2>')
    assert content.index('<dl class="glossary">') < content.index("</dl>") < use
