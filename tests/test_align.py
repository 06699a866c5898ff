from dechaff.align import align_labels, marked_labels
from dechaff.page import read_page

ARTICLE = (
    "The city news desk reports that sports fields will reopen. "
    "Home owners near the river were told the news on Monday, and sports clubs welcomed it."
)


def labels(body: str, gold: str) -> dict[str, int]:
    blocks = read_page(f"<html><body>{body}</body></html>").blocks
    return {b.text: int(label) for b, label in zip(blocks, align_labels(blocks, gold))}


def test_menu_words_that_occur_in_the_article_stay_chrome():
    body = ("<ul><li><a>Home</a></li><li><a>News</a></li><li><a>Sports</a></li></ul>"
            f"<p>{ARTICLE}</p><footer><a>Home</a> <a>Sports</a></footer>")
    got = labels(body, ARTICLE)
    assert got[ARTICLE] == 1
    assert got["Home"] == 0 and got["News"] == 0 and got["Sports"] == 0
    assert got["Home Sports"] == 0


def test_one_word_heading_between_content_blocks_is_content():
    first, second = "The first paragraph of the story.", "The second paragraph follows here."
    got = labels(f"<p>{first}</p><h2>Background</h2><p>{second}</p><p>Subscribe</p>",
                 f"{first}\n\nBackground\n\n{second}")
    assert got == {first: 1, "Background": 1, second: 1, "Subscribe": 0}


def test_block_mostly_absent_from_gold_is_chrome():
    got = labels("<p>Sign up for our newsletter to get the story every morning.</p>"
                 f"<p>{ARTICLE}</p>", ARTICLE)
    assert got["Sign up for our newsletter to get the story every morning."] == 0


def test_marked_labels_follow_the_marker():
    blocks = read_page("<body><article data-dechaff='content'><p>a b</p></article>"
                       "<p>c d</p></body>").blocks
    assert list(marked_labels(blocks)) == [1, 0]
