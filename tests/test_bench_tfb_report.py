"""bench/tfb (make bench-tfb): the targets table and its control row."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.tfb.report import summary  # noqa: E402
from bench.tfb.runner import (  # noqa: E402
    BARE,
    CONTROL,
    FRAMEWORKS,
    MODULES,
    TESTS_OF,
    Cell,
    ServerRun,
    _tests_of,
)


def test_control_is_a_second_copy_of_steins_app() -> None:
    for fws in FRAMEWORKS.values():
        assert fws[0] == "stein" and fws[-2:] == [CONTROL, BARE]
    assert MODULES[CONTROL] == MODULES["stein"]
    assert _tests_of(BARE, ["json", "db", "plaintext"]) == ["json", "plaintext"]
    assert _tests_of("stein", ["json", "db"]) == ["json", "db"] and "stein" not in TESTS_OF


def test_summary_worst_peer_ratio_and_control_range() -> None:
    run = ServerRun("granian", ["stein", "falcon", "flask", CONTROL, BARE])
    rps = {"stein": (100, 200), "falcon": (125, 100), "flask": (10, 20), CONTROL: (80, 250),
           BARE: (300, 300)}
    for fw, (c16, c64) in rps.items():
        run.cells[(fw, "json", 16)] = Cell(c16, 1.0, 2.0)
        run.cells[(fw, "json", 64)] = Cell(c64, 1.0, 2.0)
    rows = {line.split(" | ")[1]: line for line in summary([run], ["json"], [16, 64]).splitlines()
            if line.startswith("| granian")}
    assert rows["stein/falcon"].endswith("| 0.80 |")  # min(100/125, 200/100)
    assert rows["stein/flask"].endswith("| 10.00 |")
    assert rows[f"stein/{CONTROL} (control)"].endswith("| 0.80–1.25 |")  # 200/250, 100/80
    assert rows[f"{BARE}/flask (ceiling)"].endswith("| 15.00 |")  # min(300/10, 300/20)


def test_summary_without_the_control_has_no_control_row() -> None:
    run = ServerRun("uvicorn", ["stein", "starlette"])
    run.cells[("stein", "db", 16)] = Cell(50, 1.0, 2.0)
    run.cells[("starlette", "db", 16)] = Cell(40, 1.0, 2.0)
    text = summary([run], ["db"], [16])
    assert "| uvicorn | stein/starlette | 1.25 |" in text
    assert "(control) |" not in text and "(ceiling) |" not in text


def test_results_file_sections_are_replaced_one_at_a_time(tmp_path: Path) -> None:
    from bench.results_file import write_section

    path = str(tmp_path / "results.md")
    write_section("<!-- tfb -->", "TFB 1", path)  # a fresh file gets the title on top
    write_section("", "# Results\n\nin process", path)
    write_section("<!-- http -->", "HTTP 1", path)
    write_section("<!-- tfb -->", "TFB 2", path)
    text = Path(path).read_text()
    assert text == "# Results\n\nin process\n\n<!-- http -->\nHTTP 1\n\n<!-- tfb -->\nTFB 2\n"
    write_section("", "# Results\n\nagain", path)
    assert Path(path).read_text().endswith("<!-- http -->\nHTTP 1\n\n<!-- tfb -->\nTFB 2\n")
