"""The kiosk page's words for a dance verdict (edge/web/static/people.js danceLabel), run in
the real browser: dancing with a genre, dancing in a style not known, not dancing, no verdict."""

from __future__ import annotations

from tests.helpers import CHROMIUM, REPO, browser_or_skip
from training.bench.web import CHROMIUM_ARGS


def test_the_page_says_dancing_with_or_without_a_genre_and_not_dancing():
    sync_api = browser_or_skip()
    script = (REPO / "edge" / "web" / "static" / "people.js").read_text()
    cases = [
        ({"genre": "gHO", "genre_name": "house", "dancing": 0.97}, "dancing: house"),
        ({"genre": None, "genre_name": None, "dancing": 0.93}, "dancing"),
        ({"genre": "none", "genre_name": "none", "dancing": 0.2}, "not dancing"),
        ({"genre": None, "genre_name": None, "dancing": None}, "no dance"),
    ]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_content("<html><body></body></html>")
        page.add_script_tag(content=script)
        said = [page.evaluate("(v) => danceLabel(v)", verdict) for verdict, _ in cases]
        browser.close()
    assert said == [words for _, words in cases]
