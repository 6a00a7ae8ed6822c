"""docs/simulation.md's simulation benchmark table is what `make bench` prints today."""

from pathlib import Path

from benchmarks.bench_simulate import README_MARKER, table

ROOT = Path(__file__).resolve().parent.parent


def test_the_simulation_page_shows_the_benchmark_the_code_gives() -> None:
    readme = (ROOT / "docs" / "simulation.md").read_text(encoding="utf-8")
    start = readme.index(README_MARKER) + len(README_MARKER)
    shown = readme[start : readme.index("```", start)]
    assert shown == "".join(f"{line}\n" for line in table(timed=False)), "run `make readme`"
