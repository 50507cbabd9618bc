"""The config reference (docs/portals.md) names every key the loader accepts and every adapter parameter, so a
new field cannot ship undocumented."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT
from govreports.portals.adapters import ADAPTERS
from govreports.portals.config import CrawlConfig, Limits, Politeness, PortalConfig, Safety

DOC = (ROOT / "docs" / "portals.md").read_text(encoding="utf-8")


def _rows(heading: str) -> set[str]:
    """The first-column names (`key`) of the tables under a heading, up to the next heading of its level."""
    level = len(heading.split(" ")[0])
    start = DOC.index(heading + "\n") + len(heading)
    end = re.compile(r"^#{1,%d} " % level, re.M).search(DOC, start)
    section = DOC[start:end.start() if end else None]
    return set(re.findall(r"^\| `([a-z_]+)` \|", section, re.M))


@pytest.mark.parametrize("heading,model", [("## `[[portal]]` fields", PortalConfig), ("## `[politeness]`", Politeness),
                                           ("## `[safety]`", Safety), ("## `[limits]`", Limits)])
def test_every_config_key_is_documented_once(heading, model):
    assert _rows(heading) == set(model.model_fields)


def test_every_adapter_and_its_params_are_documented():
    for name, adapter in ADAPTERS.items():
        heading = next(h for h in re.findall(r"^### .*$", DOC, re.M) if h.startswith(f"### `{name}`"))
        assert _rows(heading) == set(adapter.defaults()), name


def test_the_documented_top_level_tables_are_the_real_ones():
    tables = set(re.findall(r"^## `\[+([a-z]+)\]+`", DOC, re.M))
    assert tables == set(CrawlConfig.model_fields) - {"path"}


def test_the_readme_links_the_reference():
    assert "docs/portals.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_variable_prefect_yaml_reads_is_documented():
    """prefect.yaml's pull step runs the deployed flows from `{{ $GOVREPORTS_HOME }}`, a variable the worker must
    have set, and nothing said so: each deployed run of a worker without it failed at its pull step with Prefect's
    `StepExecutionError: Encountered error while running …set_working_directory`, the variable named nowhere."""
    spec = (ROOT / "prefect.yaml").read_text(encoding="utf-8")
    names = set(re.findall(r"\{\{\s*\$(\w+)\s*\}\}", spec))
    assert names
    comments = "\n".join(line for line in spec.splitlines() if line.lstrip().startswith("#"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert {name for name in names if name not in comments or name not in readme} == set()
