"""Draw docs/img/webphone.png: the web phone in Debian's Chromium against a fresh `gateway run`.

    .venv/bin/python tools/webphone_screenshot.py [OUT.png]

The picture: subscriber 79261234567 got its password by `*105*00#` (the SMS app's badge)
and has the `*105#` menu on its screen.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from tests.gatewayproc import GatewayProcess  # noqa: E402
from tests.test_e2e_webphone import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

MSISDN = "79261234567"


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as work:
        gateway = GatewayProcess(Path(work))
        gateway.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 960, "height": 800}, locale="ru-RU")
                page.goto(f"{gateway.base}/#{MSISDN}")
                expect(page.locator("#status-live")).to_have_text("на связи")
                for key in "*105*00#":
                    page.click(f".key[data-key='{key}']")
                page.click("#key-call")
                expect(page.locator("#sms-badge")).to_have_text("1")
                page.click("#ussd-ok")
                for key in "*105#":
                    page.click(f".key[data-key='{key}']")
                page.click("#key-call")
                expect(page.locator("#ussd-text")).to_contain_text("Сервис-Гид")
                page.fill("#ussd-reply", "1")
                page.locator("#notice").evaluate("box => box.hidden = true")
                out.parent.mkdir(parents=True, exist_ok=True)
                page.evaluate("window.scrollTo(0, 0)")
                page.screenshot(path=str(out), full_page=True)
                browser.close()
        finally:
            gateway.stop()
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img" / "webphone.png")
