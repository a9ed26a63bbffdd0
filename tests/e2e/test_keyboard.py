"""A member uses the portal with the keyboard alone: logs in with the code from the mail, searches
the Blå Bog, opens a person, edits their own details on Min side and logs out.

Only Tab, Enter and typing move the browser on, never a click. Every element the Tab key stops
at must be on screen and carry the portal's focus ring (a solid outline at least 2 px wide), so a
keyboard user always sees where they are. A screenshot is saved at each step.
"""

from __future__ import annotations

import re

from django.core import mail

from members.models import Person
from tests.e2e.conftest import SCREENSHOTS

# At most this many Tab presses from one target to the next; more means a trap or a lost target.
MAX_TABS = 60

FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
    const name = el.getAttribute("aria-label") || label || el.innerText || el.value || el.name || "";
    return {
        element: `<${el.tagName.toLowerCase()}> ${name.replace(/\\s+/g, " ").trim().slice(0, 60)}`,
        outlineStyle: style.outlineStyle,
        outlineWidth: parseFloat(style.outlineWidth) || 0,
        outlineColor: style.outlineColor,
        boxShadow: style.boxShadow,
        onScreen: box.width > 1 && box.height > 1 && box.top >= 0 && box.left >= 0
            && box.bottom <= window.innerHeight && box.right <= window.innerWidth,
    };
}"""


def transparent(color: str) -> bool:
    return color == "transparent" or bool(re.fullmatch(r"rgba\(.*,\s*0\)", color))


class Keyboard:
    """Tabs through a page to a target, checking the focus ring at every stop."""

    def __init__(self, page):
        self.page = page
        self.step = 0

    def focus_problem(self) -> str | None:
        focused = self.page.evaluate(FOCUSED)
        # Bootstrap scrolls smoothly: give the focused element a moment to scroll into view.
        for _ in range(40):
            if focused is None or focused["onScreen"]:
                break
            self.page.wait_for_timeout(50)
            focused = self.page.evaluate(FOCUSED)
        if focused is None:
            return "focus is on no element"
        if not focused["onScreen"]:
            return f"{focused['element']} has focus but is not (wholly) on screen"
        if (
            focused["outlineStyle"] in ("none", "hidden")
            or focused["outlineWidth"] < 2
            or transparent(focused["outlineColor"])
        ):
            return (
                f"{focused['element']} has focus without a visible focus ring (outline: {focused['outlineStyle']} "
                f"{focused['outlineWidth']}px {focused['outlineColor']}; box-shadow: {focused['boxShadow']})"
            )
        return None

    def tab_to(self, target, label: str) -> None:
        """Press Tab until ``target`` (a locator) has focus; every stop on the way must show its focus."""
        stops = []
        for _ in range(MAX_TABS):
            self.page.keyboard.press("Tab")
            problem = self.focus_problem()
            assert problem is None, f"on the way to {label}: {problem}"
            stops.append(self.page.evaluate(FOCUSED)["element"])
            if target.evaluate("(el) => el === document.activeElement"):
                self.screenshot(label)
                return
        raise AssertionError(f"{label} not reached in {MAX_TABS} Tab presses; focus went to: {stops}")

    def enter(self) -> None:
        """Press Enter on the focused link or button and wait for the page it leads to."""
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")
        self.page.wait_for_load_state()

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def screenshot(self, label: str) -> None:
        self.step += 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "-", label.lower()).strip("-")
        self.page.screenshot(path=str(SCREENSHOTS / f"keyboard-{self.step:02d}-{name}.png"))


def test_a_member_does_everything_with_the_keyboard_alone(blue_book, portal, page):
    mail.outbox.clear()
    keys = Keyboard(page)
    header = page.locator("header")
    page.goto(portal.url + "/")

    # The first Tab stop is the link past the menu, shown when it has focus.
    keys.tab_to(page.get_by_role("link", name="Gå til indhold"), "skip link")

    # Log in with a code from the mail.
    keys.tab_to(header.get_by_role("link", name="Log ind"), "log ind link")
    keys.enter()
    keys.tab_to(page.get_by_label("Din e-mailadresse"), "email field")
    keys.type(blue_book.user.email)
    keys.enter()
    page.get_by_role("heading", name="Skriv koden fra din e-mail").wait_for()
    assert len(mail.outbox) == 1
    code = re.search(r"^\s+(\S+)\s*$", mail.outbox[0].body, re.MULTILINE).group(1)
    keys.tab_to(page.get_by_role("textbox"), "code field")
    keys.type(code)
    keys.tab_to(page.get_by_role("button", name="Log ind", exact=True), "log ind button")
    keys.enter()
    assert header.get_by_role("button", name="Log ud").is_visible()

    # Search the Blå Bog and open a person.
    keys.tab_to(header.get_by_role("link", name="Blå Bog"), "blaa bog link")
    keys.enter()
    keys.tab_to(page.get_by_label("Søg på navn"), "search field")
    keys.type("Møller")
    keys.enter()
    assert "q=M%C3%B8ller" in page.url
    keys.tab_to(page.get_by_role("link", name="Søren Møller"), "search result")
    keys.enter()
    assert page.get_by_role("heading", level=1).inner_text() == "Søren Møller"

    # Edit one's own details on Min side.
    keys.tab_to(header.get_by_role("link", name="Min side"), "min side link")
    keys.enter()
    keys.tab_to(page.get_by_label("Kort biografi"), "bio field")
    keys.type("Borgmester på Ærø. Skrevet med tastaturet.")
    keys.tab_to(page.get_by_role("button", name="Gem", exact=True), "save button")
    keys.enter()
    assert page.get_by_text("Dine kontaktoplysninger er gemt.").is_visible()
    assert Person.objects.get(pk=blue_book.soren.pk).bio == "Borgmester på Ærø. Skrevet med tastaturet."

    # Log out.
    keys.tab_to(header.get_by_role("button", name="Log ud"), "log ud button")
    keys.enter()
    assert header.get_by_role("link", name="Log ind").is_visible()
    assert header.get_by_role("button", name="Log ud").count() == 0
