"""Benchmark (figures, not a timed test): the app's time to first paint against a bare Textual
app, and the time from an area key to the new screen on the terminal.

- First paint of the stand-up WITH DATA VISIBLE (`Conversion  3.92%`) at 120x40, measured by
  ../shared/tools/ttfp.py in one paired run against ../shared/tools/textual_floor.py, on demo
  stores of 3 shops x 3 years and 10 shops x 5 years (budgets: 1.20x and 1.30x the floor).
- Area switching: in a private tmux server, the time from `send-keys 2` (then 3, 4, 1) to
  the capture that first shows the new area's title and its data, six rounds (the first one
  is each area's first visit, after the screens were built in the background); and, in a
  fresh app per try, an area opened at once after the first paint (built on the key).

Run with `make bench` (or `pytest tests/bench/test_ttfp_bench.py -s`); needs tmux, skips
cleanly without it. OPSDESK_BENCH_RUNS sets the number of paired runs (default 10).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT.parent / "shared" / "tools"
TTFP = TOOLS / "ttfp.py"
FLOOR = TOOLS / "textual_floor.py"
OPSDESK = Path(sys.executable).parent / "opsdesk"
RUNS = int(os.environ.get("OPSDESK_BENCH_RUNS", "10"))
EXPECT = r"Conversion +[0-9.]+%"

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None or not TTFP.exists(), reason="needs tmux and shared/tools"
)


def demo_store(tmp: Path, shops: int, days: int) -> Path:
    db = tmp / f"demo-{shops}x{days}.sqlite"
    subprocess.run(
        [str(OPSDESK), "--db", str(db), "demo", "--shops", str(shops), "--days", str(days)],
        check=True,
        capture_output=True,
    )
    return db


def compile_sources() -> None:
    """Byte-compile opsdesk's sources first, as an installed package is: with
    PYTHONDONTWRITEBYTECODE set (as on the development VM) every start would otherwise compile
    the modules it imports (~30-70 ms of CPU), while Textual's own modules are compiled."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "src" / "opsdesk")], check=True
    )


def paired_ttfp(db: Path) -> dict[str, float]:
    compile_sources()
    out = subprocess.run(
        [
            sys.executable,
            str(TTFP),
            "--json",
            "--runs",
            str(RUNS),
            "--size",
            "120x40",
            "--expect",
            EXPECT,
            "--vs",
            f"{sys.executable} {FLOOR}",
            "--vs-expect",
            "READY",
            "--",
            str(OPSDESK),
            "--db",
            str(db),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    report = json.loads(out.stdout)
    return {
        "app_median_ms": report["a"]["first_paint_ms"]["median"],
        "floor_median_ms": report["b"]["first_paint_ms"]["median"],
        "ratio_median_of_pairs": report["ratio_a_over_b"]["median_of_pairs"],
        "ratio_of_medians": report["ratio_a_over_b"]["of_medians"],
    }


@pytest.mark.parametrize(("shops", "days", "budget"), [(3, 1096, 1.20), (10, 1826, 1.30)])
def test_time_to_first_paint(tmp_path: Path, shops: int, days: int, budget: float) -> None:
    db = demo_store(tmp_path, shops, days)
    figures = paired_ttfp(db)
    print(
        f"\nttfp {shops} shops x {days} days, 120x40, n={RUNS}: app median "
        f"{figures['app_median_ms']:.0f} ms, floor median {figures['floor_median_ms']:.0f} ms, "
        f"ratio (median of pairs) {figures['ratio_median_of_pairs']:.2f} "
        f"(of medians {figures['ratio_of_medians']:.2f}); budget {budget:.2f}"
    )


class Tmux:
    """A private tmux server (own socket, no config) running one command."""

    def __init__(self, command: str, size: tuple[int, int]) -> None:
        self.sock = f"opsdesk-bench-{secrets.token_hex(4)}"
        w, h = str(size[0]), str(size[1])
        self.run("new-session", "-d", "-s", "app", "-x", w, "-y", h, command)
        self.run("resize-window", "-t", "app", "-x", w, "-y", h)

    def run(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.sock, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            check=False,
        ).stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "app")

    def wait_for(self, pattern: str, timeout: float = 10.0) -> float:
        """Seconds until `pattern` shows on screen."""
        start = time.perf_counter()
        regex = re.compile(pattern, re.S)
        while time.perf_counter() - start < timeout:
            if regex.search(self.screen()):
                return time.perf_counter() - start
            time.sleep(0.005)
        raise AssertionError(f"/{pattern}/ did not appear:\n{self.screen()}")

    def close(self) -> None:
        self.run("kill-server")


AREAS = [
    ("2", "explorer", "KPI explorer —", r"KPI explorer — .*GMV · [^\n]+ · by day"),
    ("3", "entry", "Manual entry —", r"Manual entry — .*Visitors 访客数 +\S+"),
    ("4", "checklists", "Checklists —", r"Checklists — .*(done on time|open|missed)"),
    ("1", "stand-up", "Stand-up —", r"Stand-up — .*Conversion +[0-9.]+%"),
]


def switch(tmux: Tmux, key: str, title: str, data: str) -> tuple[float, float]:
    """Seconds from the key to the area's title on screen, and to its data."""
    start = time.perf_counter()
    tmux.run("send-keys", "-t", "app", key)
    tmux.wait_for(title)
    painted = time.perf_counter() - start
    tmux.wait_for(data)
    return painted, time.perf_counter() - start


def leave_entry_field(tmux: Tmux) -> None:
    """The entry form's field has the focus: Esc leaves it, so the next digit switches."""
    tmux.run("send-keys", "-t", "app", "Escape")
    time.sleep(0.2)


def test_area_switching(tmp_path: Path) -> None:
    db = demo_store(tmp_path, 3, 1096)
    compile_sources()
    painted: dict[str, list[float]] = {key: [] for key, *_ in AREAS}
    with_data: dict[str, list[float]] = {key: [] for key, *_ in AREAS}
    tmux = Tmux(f"{OPSDESK} --db {db}", (120, 40))
    try:
        tmux.wait_for(EXPECT)
        time.sleep(2.0)  # the alerts join, the other areas' screens are built in the background
        for _ in range(6):
            for i, (key, _, title, data) in enumerate(AREAS):
                if AREAS[i - 1][1] == "entry":
                    leave_entry_field(tmux)
                p, d = switch(tmux, key, title, data)
                painted[key].append(p)
                with_data[key].append(d)
                time.sleep(0.3)
    finally:
        tmux.close()
    for key, name, *_ in AREAS:
        p, d = painted[key], with_data[key]
        print(
            f"\narea switch to {name} ({key}): screen painted first visit "
            f"{p[0] * 1000:.0f} ms, later median {statistics.median(p[1:]) * 1000:.0f} ms "
            f"(max {max(p[1:]) * 1000:.0f}); with its data first {d[0] * 1000:.0f} ms, later "
            f"median {statistics.median(d[1:]) * 1000:.0f} ms (includes tmux send/capture ~5 ms)"
        )


def test_area_switching_before_the_background_build(tmp_path: Path) -> None:
    """An area opened at once after the first paint, before its screen was built in the
    background: composed, mounted, loaded and painted on the key (one fresh app per area)."""
    db = demo_store(tmp_path, 3, 1096)
    compile_sources()
    for key, name, title, data in AREAS[:3]:
        figures = []
        for _ in range(3):
            tmux = Tmux(f"{OPSDESK} --db {db}", (120, 40))
            try:
                tmux.wait_for(EXPECT)
                figures.append(switch(tmux, key, title, data))
            finally:
                tmux.close()
        print(
            f"\narea switch to {name} ({key}) right after the first paint: painted "
            + ", ".join(f"{p * 1000:.0f}" for p, _ in figures)
            + " ms; with data "
            + ", ".join(f"{d * 1000:.0f}" for _, d in figures)
            + " ms"
        )
