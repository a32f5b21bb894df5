"""Render the PNG icons from the SVG logo (a developer tool; the outputs are committed).

    python scripts/build_icons.py      # needs Debian's chromium and the playwright package

Writes src/dailypapers/papers/static/dailypapers/favicon.png (64 x 64) and card.png (1200 x 630,
the picture link previews show for pages other than a paper's).
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import sync_playwright

STATIC = Path(__file__).resolve().parent.parent / "src/dailypapers/papers/static/dailypapers"
LOGO = (STATIC / "favicon.svg").read_text()
CARD = f"""<html><body style="margin:0;width:1200px;height:630px;display:flex;align-items:center;
justify-content:center;gap:48px;background:#f7f5f0;font-family:Georgia,serif;color:#1c1917">
<div style="width:220px;height:220px">{LOGO}</div>
<div><div style="font-size:96px;font-weight:700;letter-spacing:-1px">Daily Papers</div>
<div style="font:36px system-ui,sans-serif;color:#5f5a55;margin-top:12px">
The research papers your community picked</div></div></body></html>"""


def main() -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        icon = browser.new_page(viewport={"width": 64, "height": 64})
        sized = LOGO.replace("<svg ", "<svg width=64 height=64 ")
        icon.set_content(f'<body style="margin:0">{sized}</body>')
        icon.screenshot(path=str(STATIC / "favicon.png"), omit_background=True)
        card = browser.new_page(viewport={"width": 1200, "height": 630})
        card.set_content(CARD)
        card.screenshot(path=str(STATIC / "card.png"))
        browser.close()
    print(f"wrote {STATIC / 'favicon.png'} and {STATIC / 'card.png'}")


if __name__ == "__main__":
    main()
