"""Check the built docs' layout in a headless browser, at a laptop's and a phone's width.

    python tools/check_docs_layout.py [--build] [--all] [--html DIR] [--shots DIR] [--json FILE]

For the front page, the quick start and the single-table guide, at 1366x768 (laptop) and
390x844 (phone, touch, 3x pixels), it loads the page in headless Chromium and measures:

- the page: no horizontal scrolling of the whole page (``scrollWidth`` of the document
  no wider than the viewport);
- every code block and table: inside the page body (the article's box), overflowing it
  only through its own horizontal scrollbar (``overflow-x: auto``/``scroll``);
- the front page's first code block: its font at least 12 CSS px and, at the laptop
  width, every line of it visible without scrolling; at the phone width, at least 40
  characters of a line visible.

``--all`` checks every page of the build the same way (the front page's rules apply to
the front page only).  It prints one line per page and width (with the widest code block's visible and full
width in characters) and exits 1 on any failure.  ``--shots`` keeps a screenshot of each
page's first screen.  Not part of the test suite: it needs Chromium (Debian's
``chromium`` package, or ``$CHROMIUM``) and drives it over the DevTools protocol with
aiohttp (installed with bloop's ``aio`` extra).  ``--build`` builds the docs first with
``sphinx-build -W`` into the ``--html`` directory (default ``docs/_build/html``).
"""
import argparse
import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["index.html", "quickstart.html", "single-table.html"]
VIEWPORTS = {
    "laptop": {"width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False},
    "phone": {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True},
}
MIN_FONT_PX = 12
MIN_PHONE_COLUMNS = 40

# Runs in the page; returns what the checks need, measured in CSS pixels.
MEASURE = r"""
(() => {
  const doc = document.documentElement;
  const body = document.querySelector("article[role=main]") || document.querySelector("article")
      || document.body;
  const box = body.getBoundingClientRect();
  const charWidth = (pre) => {
    const probe = document.createElement("span");
    probe.textContent = "0".repeat(100);
    probe.style.font = getComputedStyle(pre).font;
    probe.style.position = "absolute";
    probe.style.visibility = "hidden";
    probe.style.whiteSpace = "pre";
    document.body.appendChild(probe);
    const width = probe.getBoundingClientRect().width / 100;
    probe.remove();
    return width;
  };
  const scrolls = (el) => {
    for (let node = el; node && node !== body; node = node.parentElement) {
      const overflow = getComputedStyle(node).overflowX;
      if ((overflow === "auto" || overflow === "scroll") && node.scrollWidth > node.clientWidth)
        return true;
    }
    return false;
  };
  const blocks = [...body.querySelectorAll("div.highlight pre")].map((pre) => {
    const rect = pre.getBoundingClientRect();
    const cw = charWidth(pre);
    const style = getComputedStyle(pre);
    const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    const lines = pre.textContent.replace(/\n$/, "").split("\n");
    return {
      kind: "code",
      left: rect.left, right: rect.right,
      clientWidth: pre.clientWidth, scrollWidth: pre.scrollWidth,
      ownScrollbar: scrolls(pre),
      fontPx: parseFloat(style.fontSize),
      visibleColumns: Math.floor((pre.clientWidth - padding) / cw),
      longestLine: Math.max(...lines.map((line) => line.length)),
      firstLine: lines[0],
    };
  });
  const tables = [...body.querySelectorAll("table")].map((table) => {
    const rect = table.getBoundingClientRect();
    const wrapper = table.parentElement;  // furo's scrolling .table-wrapper, or the body
    const shown = wrapper.getBoundingClientRect();
    const width = Math.ceil(rect.width);
    return {
      kind: "table",
      left: Math.max(rect.left, shown.left), right: Math.min(rect.right, shown.right),
      clientWidth: Math.min(wrapper.clientWidth, Math.ceil(box.width)),
      scrollWidth: width,
      ownScrollbar: width > wrapper.clientWidth && scrolls(table),
    };
  });
  return {
    viewport: window.innerWidth,
    pageScrollWidth: doc.scrollWidth,
    body: {left: box.left, right: box.right},
    blocks, tables,
  };
})()
"""


class Browser:
    """Headless Chromium, driven through one page target over the DevTools protocol."""

    def __init__(self, executable):
        self.executable = executable

    async def __aenter__(self):
        self.profile = tempfile.mkdtemp(prefix="bloop-docs-layout-")
        self.process = subprocess.Popen(
            [self.executable, "--headless=new", "--no-sandbox", "--disable-gpu",
             "--hide-scrollbars=false", "--remote-debugging-port=0",
             f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"{self.executable} did not start its DevTools endpoint")
            await asyncio.sleep(0.1)
        port = port_file.read_text().split()[0]
        self.http = aiohttp.ClientSession()
        async with self.http.get(f"http://127.0.0.1:{port}/json/list") as answer:
            targets = await answer.json()
        url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        self.ws = await self.http.ws_connect(url, max_msg_size=0)
        self.next_id = 0
        self.events = []
        await self.send("Page.enable")
        await self.send("Runtime.enable")
        return self

    async def __aexit__(self, *exc):
        await self.ws.close()
        await self.http.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)

    async def send(self, method, **params):
        self.next_id += 1
        sent = self.next_id
        await self.ws.send_json({"id": sent, "method": method, "params": params})
        while True:
            message = await self.ws.receive_json()
            if message.get("id") == sent:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            self.events.append(message.get("method"))

    async def wait_for(self, event, timeout=30):
        deadline = time.monotonic() + timeout
        while event not in self.events:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(f"no {event} within {timeout} s")
            message = await self.ws.receive_json(timeout=remaining)
            self.events.append(message.get("method"))

    async def open(self, url, viewport):
        await self.send("Emulation.setDeviceMetricsOverride", **viewport)
        await self.send("Emulation.setTouchEmulationEnabled", enabled=viewport["mobile"])
        self.events.clear()
        await self.send("Page.navigate", url=url)
        await self.wait_for("Page.loadEventFired")
        await self.send("Runtime.evaluate", expression="document.fonts.ready", awaitPromise=True)

    async def evaluate(self, expression):
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"in the page: {result['exceptionDetails']}")
        return result["result"]["value"]

    async def screenshot(self, path):
        shot = await self.send("Page.captureScreenshot", format="png")
        Path(path).write_bytes(base64.b64decode(shot["data"]))


def problems(page, device, measured):
    """What is wrong with one page at one width (an empty list when nothing is)."""
    found = []
    width = VIEWPORTS[device]["width"]  # a phone's layout viewport grows with what overflows
    if max(measured["pageScrollWidth"], measured["viewport"]) > width:
        found.append(f"the page scrolls sideways: {measured['pageScrollWidth']} px wide on a "
                     f"{width} px screen")
    body = measured["body"]
    for number, block in enumerate(measured["blocks"] + measured["tables"], 1):
        what = f"{block['kind']} {number}"
        if block["left"] < body["left"] - 1 or block["right"] > body["right"] + 1:
            found.append(f"{what} leaves the page body: {block['left']:.0f}-{block['right']:.0f} px "
                         f"in a body of {body['left']:.0f}-{body['right']:.0f} px")
        if block["scrollWidth"] > block["clientWidth"] and not block["ownScrollbar"]:
            found.append(f"{what} is cut off: {block['scrollWidth']} px of content in "
                         f"{block['clientWidth']} px, without a scrollbar of its own")
    if page == "index.html":
        if not measured["blocks"]:
            found.append("the front page has no code block")
        else:
            first = measured["blocks"][0]
            if first["fontPx"] < MIN_FONT_PX:
                found.append(f"the first code block's font is {first['fontPx']} px")
            if device == "laptop" and first["scrollWidth"] > first["clientWidth"]:
                found.append(f"the first code block scrolls at laptop width: {first['longestLine']} "
                             f"characters in a line, {first['visibleColumns']} visible")
            if device == "phone" and first["visibleColumns"] < MIN_PHONE_COLUMNS:
                found.append(f"the first code block shows {first['visibleColumns']} characters "
                             f"of a line (at least {MIN_PHONE_COLUMNS} wanted)")
    return found


def summary(page, device, measured):
    blocks = measured["blocks"]
    scrolling = [b for b in blocks if b["scrollWidth"] > b["clientWidth"]]
    widest = max(blocks, key=lambda b: b["longestLine"], default=None)
    parts = [f"{page:18} {device:6} screen {VIEWPORTS[device]['width']} px, page {measured['pageScrollWidth']} px",
             f"body {measured['body']['right'] - measured['body']['left']:.0f} px",
             f"{len(blocks)} code blocks ({len(scrolling)} scroll in themselves)",
             f"{len(measured['tables'])} tables"]
    if blocks:
        first = blocks[0]
        parts.append(f"first block {first['visibleColumns']}/{first['longestLine']} columns "
                     f"at {first['fontPx']:g} px")
        parts.append(f"widest {widest['visibleColumns']}/{widest['longestLine']} columns")
    return ", ".join(parts)


async def check(html, shots, pages):
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium") \
        or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not executable:
        sys.exit("no Chromium found: install Debian's chromium package or set $CHROMIUM")
    results = []
    async with Browser(executable) as browser:
        for page in pages:
            for device, viewport in VIEWPORTS.items():
                await browser.open((html / page).resolve().as_uri(), viewport)
                measured = await browser.evaluate(MEASURE)
                if shots:
                    await browser.screenshot(shots / f"{page[:-5].replace('/', '-')}-{device}.png")
                results.append({"page": page, "device": device, "measured": measured,
                                "problems": problems(page, device, measured)})
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=ROOT / "docs" / "_build" / "html")
    parser.add_argument("--build", action="store_true", help="build the docs first (sphinx -W)")
    parser.add_argument("--shots", type=Path, help="keep a screenshot of each page here")
    parser.add_argument("--json", type=Path, help="write every measurement here")
    parser.add_argument("--all", action="store_true", help="check every page of the build")
    args = parser.parse_args()
    if args.build:
        subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                        str(ROOT / "docs"), str(args.html)], check=True)
    missing = [page for page in PAGES if not (args.html / page).exists()]
    if missing:
        sys.exit(f"{args.html} has no {', '.join(missing)}: build the docs (make docs, or --build)")
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    pages = PAGES
    if args.all:
        pages = sorted(str(path.relative_to(args.html)) for path in args.html.rglob("*.html")
                       if not path.relative_to(args.html).parts[0].startswith("_")
                       and path.name not in ("genindex.html", "search.html"))
    results = asyncio.run(check(args.html, args.shots, pages))
    failed = False
    for result in results:
        print(summary(result["page"], result["device"], result["measured"]))
        for problem in result["problems"]:
            failed = True
            print(f"    FAIL: {problem}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    print("FAILED" if failed else "ok: no page scrolls sideways, every code block and table fits "
          "the page body or scrolls in itself")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
