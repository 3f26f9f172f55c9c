"""Copy a few browser-test screenshots into docs/screenshots/, scaled down (run after ``pytest tests/web``).

    uv run python tests/web/make_doc_screenshots.py

Chromium itself does the scaling (the image is shown at a smaller width and photographed again), so no
image library is needed. The top of each page is kept (at most ``MAX_HEIGHT`` pixels after scaling).
"""

from __future__ import annotations

import base64
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "_artifacts"
DOCS = ROOT / "docs" / "screenshots"
WIDTH = 1000
MAX_HEIGHT = 820
PICKS = ("dashboard", "report-entry-error", "review-deviations", "catalog-published", "public-lists")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main() -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": MAX_HEIGHT})
        for name in PICKS:
            source = ARTIFACTS / f"{name}.png"
            if not source.exists():
                print(f"missing {source}: run the browser tests first")
                continue
            data = base64.b64encode(source.read_bytes()).decode("ascii")
            page.set_content(
                f'<body style="margin:0"><img id="i" style="width:{WIDTH}px;display:block" '
                f'src="data:image/png;base64,{data}"></body>'
            )
            page.wait_for_function("() => document.getElementById('i').complete")
            height = min(int(page.evaluate("() => document.getElementById('i').height")), MAX_HEIGHT)
            target = DOCS / f"{name}.png"
            page.screenshot(path=str(target), clip={"x": 0, "y": 0, "width": WIDTH, "height": height})
            print(f"{target.relative_to(ROOT)}: {target.stat().st_size // 1024} KiB")
        browser.close()


if __name__ == "__main__":
    main()
