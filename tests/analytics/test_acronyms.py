"""The long forms of acronyms as the posts spell them (analytics/acronyms.py)."""

from searchsvc.analytics.acronyms import expansions, looks_like_an_acronym

TEXTS = [
    "The Consumer Financial Protection Bureau wrote to us. Ask the Office of Management and Budget.",
    "Consumer Financial Protection Bureau guidance, and the Office of Management and Budget's memo.",
    "Once: Quarterly Reporting Pipeline.",
]


def test_initials_skip_small_words_and_one_sighting_is_not_enough():
    found = expansions(TEXTS, {"cfpb", "omb", "qrp", "xyz"})
    assert found == {
        "cfpb": ("Consumer Financial Protection Bureau", 2),
        "omb": ("Office of Management and Budget", 2),
    }


def test_what_looks_like_an_acronym():
    assert [looks_like_an_acronym(q) for q in ("odp", "CFPB", "a", "data policy", "accessibility", "508")] == [True, True, False, False, False, False]
