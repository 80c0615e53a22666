"""A real expo from nothing, in Chromium: `expo init` on a fresh database, then the first
organizer signs in, creates a district and a team in the console, imports the downloaded
template spreadsheet (dry run, then apply) and finds the imported team in the list."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM_ARGS, ROOT, ServerProcess, fresh_database

pytestmark = pytest.mark.e2e

EMAIL, PASSWORD = "office@harbour-city.example", "a-long-password-1"


def test_organizer_sets_up_an_expo_from_nothing(tmp_path: Path) -> None:
    url = fresh_database("sqlite", tmp_path)
    env = {
        "EXPO_DATABASE_URL": url,
        "EXPO_VAR_DIR": str(tmp_path / "var"),
        "EXPO_SECRET_KEY": "e2e-console",
        "EXPO_LOG_LEVEL": "WARNING",
    }
    init = subprocess.run(
        [
            sys.executable,
            "-m",
            "expo",
            "init",
            "--no-input",
            "--title",
            "Harbour City Investment Week",
            "--first-day",
            "2027-03-01",
            "--last-day",
            "2027-03-03",
            "--timezone",
            "Asia/Shanghai",
            "--language",
            "en",
            "--email",
            EMAIL,
            "--name",
            "City office",
            "--password",
            PASSWORD,
        ],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    server = ServerProcess(env, tmp_path / "server.log")
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True).new_page()
            page.goto(f"{server.url}/login")
            page.fill("input[name=email]", EMAIL)
            page.fill("input[name=password]", PASSWORD)
            page.click("main form button[type=submit]")
            page.get_by_role("link", name="Console").first.click()
            assert page.get_by_role("heading", name="Organizer console").is_visible()

            page.goto(f"{server.url}/organizer/districts")
            page.fill("#slug", "harbour")
            page.select_option("#kind", "district")
            page.fill("#name_en", "Harbour District")
            page.fill("#name_zh_Hans", "港区")
            page.click("main form button[type=submit]")
            assert page.get_by_role("link", name="Harbour District").is_visible()

            page.goto(f"{server.url}/organizer/teams")
            page.fill("#slug", "harbour-robotics")
            page.select_option("#district", label="Harbour District")
            page.select_option("#sector", "advanced_manufacturing")
            page.fill("#name_en", "Harbour Robotics")
            page.click("main form button[type=submit]")
            assert page.get_by_role("link", name="Harbour Robotics").is_visible()

            page.goto(f"{server.url}/organizer/imports")
            with page.expect_download() as download:
                page.click("a[href='/organizer/imports/teams/template.xlsx']")
            template = tmp_path / "teams-template.xlsx"
            download.value.save_as(template)
            page.set_input_files("#file-teams", str(template))
            page.click("form[action='/organizer/imports/teams'] button[type=submit]")
            assert page.get_by_text("Dry run: nothing has changed yet.").is_visible()
            assert page.locator("td.action-create").count() == 1
            page.get_by_role("button", name="Apply this import").click()
            assert page.get_by_text("This file was applied on").is_visible()

            page.goto(f"{server.url}/organizer/teams")
            assert page.get_by_role("link", name="Bluewave Bio").is_visible()
            assert page.get_by_role("link", name="Harbour Robotics").is_visible()
            browser.close()
    finally:
        server.stop()
