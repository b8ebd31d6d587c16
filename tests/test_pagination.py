"""The shared page links under the caseload and the access logs."""

from django.core.paginator import Paginator
from django.template.loader import render_to_string


def links(number: int, **context) -> str:
    page = Paginator(range(50), 20).page(number)
    return render_to_string("_pagination.html", {"page": page, **context})


def test_the_middle_page_links_both_ways_and_keeps_the_other_parameters():
    html = links(2, query="stage=2&everyone=on", label="Caseload pages")
    assert 'href="?stage=2&amp;everyone=on&amp;page=1">Previous</a>' in html
    assert 'href="?stage=2&amp;everyone=on&amp;page=3">Next</a>' in html
    assert "2 / 3" in html
    assert 'aria-label="Caseload pages"' in html


def test_the_first_page_has_no_way_back_and_a_log_names_its_links():
    html = links(1, previous="Newer", next="Older")
    assert 'href="?page=2">Older</a>' in html
    assert "Newer" not in html


def test_a_single_page_has_no_links():
    page = Paginator(range(5), 20).page(1)
    assert render_to_string("_pagination.html", {"page": page}).strip() == ""
