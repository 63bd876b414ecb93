"""How each board software marks up a thread page: CSS selectors per preset, and how to spot it.

Selectors are comma-separated lists tried in order, first match wins (soupsieve CSS), so one
preset covers the themes and minor versions a board software has shipped; only `post` is a
union. Built from real saved pages (tests/fixtures/forums/*/PROVENANCE.md) and the boards'
default templates.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    """CSS selectors that find the posts of a thread page and their parts."""

    name: str
    post: str  # one element per post
    body: str  # the post's text, inside `post`
    author: str  # the author's name (an <a> gives author_url too)
    time: str = "time[datetime]"  # where the post's time is; see extract.post_time
    time_attribute: str | None = None  # an epoch on the post element itself, preferred
    post_id_attribute: str = "id"  # attribute of `post` holding the id...
    post_id_pattern: str = r"(\d+)"  # ...and the part of it that is the id
    post_id_selector: str | None = None  # else: an element whose text holds the id
    permalink: str | None = None  # an <a href> to the post itself...
    permalink_template: str | None = None  # ...or built: {page} (no query) and {id}
    next_page: str = "link[rel=next], a[rel=next]"
    strip: str | None = None  # quotes, signatures, edit notes: not the author's words here
    # Comments under a post (Askbot): read with their own selectors inside each post element,
    # each one a post whose parent is the post it sits under.
    comment: Preset | None = None
    # Recognition: a generator <meta> prefix, or a selector only this software's pages match.
    generator: str | None = None
    marker: str | None = None
    # Lower-case strings one of which the raw page must contain before `marker` is tried: a
    # cheap filter, since each CSS marker scan walks the whole document.
    hints: tuple[str, ...] = ()


PRESETS: dict[str, Preset] = {
    "phpbb": Preset(
        name="phpbb",
        hints=("phpbb", "postbody"),
        # prosilver and its derivatives (3.0 to 3.3): <div id="p123" class="post ...">.
        post="div.post[id^=p]",
        body="div.content",
        author=(
            "p.author a.username, p.author a.username-coloured, p.author span.username, "
            "p.author span.username-coloured, p.author strong a, p.author strong"
        ),
        # 3.2+ writes <time datetime> in p.author; 3.0/3.1 only the board-formatted text.
        time="p.author time[datetime], p.author",
        post_id_pattern=r"^p(\d+)$",
        permalink="p.author a[href*='p='], h3 a[href^='#p']",
        next_page=(
            "link[rel=next], a[rel=next], li.arrow.next a, li.next a, "
            ".pagination strong + span.page-sep + a"
        ),
        strip="blockquote, div.signature, div.notice, div.codebox > p",
        marker="body#phpbb, div.post[id^=p] div.postbody",
    ),
    "vbulletin3": Preset(
        name="vbulletin3",
        hints=("post_message_",),
        post="table[id^=post]",
        body="div[id^=post_message_]",
        author="a.bigusername, .bigusername",
        time="td.thead:not([id]), td.thead",
        post_id_pattern=r"^post(\d+)$",
        permalink="a[id^=postlink], a[id^=postcount]",
        next_page="a[rel=next], a[title^='Next Page']",
        # vB3's quote template has no class: a margin div holding "Quote:" and a table.
        strip="div[style*='margin:20px'], div.bbcode_container, div.quote_container",
        generator="vBulletin 3",
        marker="div[id^=post_message_] ",
    ),
    "vbulletin4": Preset(
        name="vbulletin4",
        hints=("postbit",),
        post="li.postbitlegacy[id^=post_], li.postbit[id^=post_], li.postbitim[id^=post_]",
        body="div[id^=post_message_] blockquote.postcontent, div[id^=post_message_]",
        author="a.username, .username",
        time="span.date",
        post_id_pattern=r"^post_(\d+)$",
        permalink="a.postcounter, span.nodecontrols a[name^=post]",
        next_page="link[rel=next], a[rel=next], span.prev_next a[rel=next]",
        strip="div.bbcode_container, blockquote.signature, div.signaturecontainer",
        generator="vBulletin 4",
        marker="li.postbitlegacy[id^=post_], li.postbit[id^=post_]",
    ),
    "vbulletin5": Preset(
        name="vbulletin5",
        hints=("b-post",),
        post="li.b-post[data-node-id]",
        body=".js-post__content-text",
        author=".author a, .b-post__author a, .b-post__author, .author",
        # The naive ISO in <time datetime> is in the server's zone; the epoch is exact.
        time=".b-post__timestamp time[datetime], time[datetime], .b-post__timestamp",
        time_attribute="data-node-publishdate",
        post_id_attribute="data-node-id",
        permalink="a.b-post__count, .b-post__count a, a[href*='#post']",
        next_page="link[rel=next], a[rel=next], a.js-pagenav-next-button",
        strip="div.bbcode_container, div.post-signature, .js-post__signature",
        generator="vBulletin 5",
        marker="li.b-post[data-node-id]",
    ),
    "xenforo2": Preset(
        name="xenforo2",
        hints=("message--post",),
        post="article.message--post[data-content]",
        body=".message-body .bbWrapper",
        author=".message-name .username, .message-name",
        time=".message-attribution-main time[datetime], time[datetime]",
        post_id_attribute="data-content",
        post_id_pattern=r"^post-(\d+)$",
        permalink=".message-attribution-main a[href], .message-attribution-opposite a[href]",
        next_page="link[rel=next], a.pageNav-jump--next",
        strip="blockquote.bbCodeBlock--quote, .message-signature, .bbCodeBlock--unfurl",
        marker="html#XF article.message--post, article.message--post[data-content]",
    ),
    "nodebb": Preset(
        name="nodebb",
        hints=("data-pid",),
        post="[component='post'][data-pid]",
        body="[component='post/content']",
        author=(
            "[itemprop='author'] [itemprop='name'], [component='post/header'] a[href*='/user/'], "
            "a[href*='/user/'][data-username], [itemprop='author']"
        ),
        # NodeBB prints ISO times in the timeago title and in schema.org meta.
        time=(
            "[itemprop='datePublished'][content], span.timeago[title], "
            "[component='post/header'] .timeago[title], time[datetime]"
        ),
        time_attribute="data-timestamp",
        post_id_attribute="data-pid",
        permalink="a.permalink[href], [component='post/header'] a[href*='/post/']",
        next_page="link[rel=next], a[rel=next], li.next a",
        strip="blockquote, [component='post/signature'], .post-signature",
        marker="[component='post'][data-pid]",
    ),
    "discourse": Preset(
        name="discourse",
        hints=("crawler-post", "discourse"),
        # The crawler (no-JS) view Discourse serves to bots and to browsers without scripts.
        post="div.topic-body.crawler-post, div[itemprop='comment'], div.crawler-post",
        body="div.post[itemprop='text'], div.post[itemprop='articleBody'], div.post, .cooked",
        author=(
            "span.creator [itemprop='name'], [itemprop='author'] [itemprop='name'], "
            "span.creator a, [itemprop='author']"
        ),
        time=(
            "[itemprop='datePublished'], [itemprop='dateCreated'], time.post-time, time[datetime]"
        ),
        post_id_pattern=r"^post_(\d+)$",
        # Older crawler views carry no id="post_N"; the post number is the schema.org position.
        post_id_selector="[itemprop='position']",
        permalink="a.post-date[href], a[itemprop='url'][href*='/t/']",
        next_page="link[rel=next], a[rel=next], div[role='navigation'] a[rel=next]",
        permalink_template="{page}/{id}",
        strip="aside.quote, aside.onebox, div.signature, .lightbox-wrapper .meta",
        generator="Discourse",
        marker="div.crawler-post, div.topic-body[itemprop]",
    ),
    "askbot": Preset(
        name="askbot",
        hints=("data-post-id",),
        # The question and each answer (askbot.org and ask.openstack.org pages, askbot-devel
        # templates question_card.html and macros.html; 0.7-era themes: "post question").
        post=(
            "div.post.js-question[data-post-id], div.post.js-answer[data-post-id], "
            "div.post.question[data-post-id], div.post.answer[data-post-id], "
            "div.post[data-post-id]"
        ),
        body=(
            "[id^=js-post-body-] .js-editable-content, .post-body .js-editable-content, "
            ".post-body, .question-body, .answer-body"
        ),
        # The first .post-update-info is "asked"/"answered"; a later one is "updated" by an
        # editor. Its first link is the avatar (no text), so the name is in .user-info.
        author=(
            ".post-update-info .user-info a[href*='/users/'], .user-info a[href*='/users/'], "
            ".user-info a, a[href*='/users/']:not(.js-avatar-box)"
        ),
        time=".post-update-info abbr.timeago[title], abbr.timeago[title], .timeago[title], "
        "time[datetime], .post-update-info strong",
        post_id_attribute="data-post-id",
        permalink="a.permant-link[href], a.permalink[href], a[href*='#post-id-']",
        next_page="link[rel=next], a[rel=next], .paginator .next a, .paginator a[title^='next']",
        strip=(
            ".post-update-info-container, blockquote, .comments, .post-controls, "
            ".answer-controls, .question-controls, span.expander"
        ),
        marker="div.post[data-post-id] .post-update-info, div.post[data-post-id] .post-body",
        # Comments are printed under their post (the rest load on "see more comments").
        comment=Preset(
            name="askbot-comment",
            post="div.comment[data-comment-id], div.js-comment[data-comment-id]",
            body=".comment-body",
            author="a.author, .comment-controls a[href*='/users/']:not(.js-avatar-box)",
            time="abbr.timeago[title], .age abbr[title], .timeago[title], time[datetime]",
            post_id_attribute="data-comment-id",
            strip="blockquote",
        ),
    ),
}


def preset_names() -> str:
    """The preset names, for error messages."""
    return ", ".join(sorted(PRESETS))
