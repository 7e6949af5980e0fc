"""Headless Chromium for the browser tests and scripts/screenshots.py.

Needs the Debian packages ``chromium`` and ``chromium-driver`` (scripts/setup.sh installs them)
and the Python package ``selenium`` (the ``dev`` extra, imported here directly: a missing Python
package is an error, never a skip). The browser tests (marker ``browser``) skip, with a reason
naming the Debian package, only when a system package is missing. Autoplay is allowed (``--autoplay-policy``), the
sound is muted, and WebGL runs on SwiftShader (software), so the 3D view works without a GPU.
"""
from __future__ import annotations

import json
import shutil
import time
from contextlib import contextmanager

import selenium  # noqa: F401  (the dev extra)

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver",)
ARGS = ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--mute-audio",
        "--autoplay-policy=no-user-gesture-required", "--enable-unsafe-swiftshader",
        "--use-angle=swiftshader", "--hide-scrollbars", "--no-first-run", "--disable-extensions",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--disable-features=Translate,MediaRouter,OptimizationHints")


def missing() -> str | None:
    """Why no browser test can run here, or None."""
    if not any(shutil.which(b) for b in BROWSERS):
        return "no chromium browser: install the Debian package 'chromium' (scripts/setup.sh does)"
    if not any(shutil.which(d) for d in DRIVERS):
        return "no chromedriver: install the Debian package 'chromium-driver' (scripts/setup.sh does)"
    return None


@contextmanager
def chrome(width: int = 1280, height: int = 760, download_dir: str | None = None):
    """A headless Chromium WebDriver (browser console and network logs enabled)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = next(shutil.which(b) for b in BROWSERS if shutil.which(b))
    for a in ARGS:
        opts.add_argument(a)
    opts.add_argument(f"--window-size={width},{height}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    if download_dir:
        opts.add_experimental_option("prefs", {"download.default_directory": str(download_dir),
                                               "download.prompt_for_download": False})
    driver = webdriver.Chrome(options=opts, service=Service(next(shutil.which(d) for d in DRIVERS if shutil.which(d))))
    try:
        driver.set_page_load_timeout(60)
        driver.set_script_timeout(60)
        yield driver
    finally:
        driver.quit()


def console_errors(driver) -> list[str]:
    """Console messages of level SEVERE (errors, uncaught exceptions, failed loads) since the
    last call."""
    return [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def requested_urls(driver) -> list[str]:
    """Every URL the page asked for since the last call (from the DevTools network log)."""
    urls = []
    for e in driver.get_log("performance"):
        m = json.loads(e["message"])["message"]
        if m.get("method") == "Network.requestWillBeSent":
            urls.append(m["params"]["request"]["url"])
    return urls


def wait_for(driver, js: str, timeout: float = 30.0, interval: float = 0.1):
    """Poll ``return (js)`` until it is truthy; returns the value or raises TimeoutError."""
    end = time.monotonic() + timeout
    while True:
        v = driver.execute_script(f"return ({js});")
        if v:
            return v
        if time.monotonic() > end:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for: {js}")
        time.sleep(interval)


def sample_after_a_tick(driver):
    """``[frame shown, audio time, playing]`` read in an animation frame right after the
    player's own (which draws the frame for the audio time it reads), so the gap between the
    two is the player's, not the test's polling."""
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "requestAnimationFrame(() => { const p = window.dancegenPlayer; done([p.frame, p.audioTime(), p.playing()]); });")


def element_png(driver, element_id: str):
    """Screenshot of one element, as an (H, W, 3) uint8 RGB array."""
    import cv2
    import numpy as np

    png = driver.find_element("id", element_id).screenshot_as_png
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    return img[..., ::-1].copy()


def colour_pixels(img, rgb, tol: int = 40) -> int:
    """How many pixels of ``img`` are within ``tol`` (per channel) of the colour ``rgb``."""
    import numpy as np

    d = np.abs(img.astype(np.int16) - np.asarray(rgb, np.int16)).max(axis=-1)
    return int((d <= tol).sum())
