"""`make screenshots`: the README's pictures of Basrapporter and the call specification, taken
from the demo in Debian's chromium, so they show the product as it is.

Run: .venv/bin/python -m vaxelstat.screenshots [--out docs/screenshots]
It uses a throwaway data directory and never touches ./var.
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    data = tempfile.mkdtemp(prefix="vaxelstat-screenshots-")
    port = _free_port()
    env = {**os.environ, "VAXELSTAT_DATA": data}
    env.pop("DATABASE_URL", None)
    env.pop("CALLSTORE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "vaxelstat.cli", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        password = None
        deadline = time.monotonic() + 300
        assert server.stdout is not None
        for line in server.stdout:
            found = re.search(r"with password (\S+)", line)
            if found:
                password = found.group(1)
            if "is serving on" in line or time.monotonic() > deadline:
                break
        if password is None:
            sys.exit("the demo did not start")
        url = f"http://127.0.0.1:{port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_context(
                locale="sv-SE", viewport={"width": 1366, "height": 768}
            ).new_page()
            page.goto(f"{url}/login/")
            page.get_by_label("E-post").fill("admin@demo.example")
            page.get_by_label("Lösenord").fill(password)
            page.get_by_role("button", name="Logga in").click()
            # (Start links to the modules too: the menu's links are the ones followed.)
            menu = page.get_by_role("navigation", name="Meny")
            menu.get_by_role("link", name="Basrapporter").click()
            page.get_by_label("Markera alla").check()
            page.get_by_role("button", name="Bearbeta").click()
            page.locator("#report-title").scroll_into_view_if_needed()
            page.wait_for_timeout(500)
            page.screenshot(path=str(args.out / "basrapporter.png"), full_page=True)
            page.locator("tr.total td a").first.click()
            page.get_by_role("heading", name="Samtalsspecifikation").wait_for()
            page.screenshot(path=str(args.out / "samtalsspecifikation.png"))
            menu.get_by_role("link", name="Väggskärm").click()
            page.get_by_role("heading", name="Väggskärm").wait_for()
            page.screenshot(path=str(args.out / "vaggskarm.png"))
            menu.get_by_role("link", name="Avancerade rapporter").click()
            page.get_by_label("Markera alla").check()
            page.get_by_label("Ett mätobjekt per rad").check()
            page.get_by_role("button", name="Bearbeta").click()
            page.locator("#report-title").scroll_into_view_if_needed()
            page.wait_for_timeout(500)
            page.screenshot(path=str(args.out / "avancerade-rapporter.png"), full_page=True)
            browser.close()
        print(f"screenshots in {args.out}/")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
