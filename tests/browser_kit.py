"""Helpers of the browser tests: WCAG contrast of what a page shows."""

from __future__ import annotations

from typing import Any

# WCAG 2.1 contrast of every visible text node against its effective background.
CONTRAST_JS = """
() => {
  const parse = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) { return c.slice(0, 3); }
    }
    return [255, 255, 255];
  };
  const worst = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || !el.getClientRects().length) { continue; }
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || el.closest(".sr, .salta")) { continue; }
    const a = lum(parse(style.color).slice(0, 3)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) { worst.push([el.tagName, node.textContent.trim().slice(0, 30), ratio]); }
  }
  return worst;
}
"""


def contrast_failures(page: Any) -> list[Any]:
    """Visible text nodes whose contrast against their background is below 4.5:1."""
    return list(page.evaluate(CONTRAST_JS))
