"""`govreports discover`'s drafts: the names, blocks and files it writes load as configs, and a name it gives is
its own in the file and in the folder a run crawls with it (govreports.discover.draft)."""

from __future__ import annotations

import tomllib

import pytest

from govreports.discover import draft


def test_names_and_blocks_load_as_a_config(tmp_path):
    taken: set[str] = set()
    assert draft.portal_name("http://rsj.km.gov.cn/zfxxgk/zfxxgknb/", taken) == "rsj-km"
    assert draft.portal_name("http://127.0.0.1:8765/ordos/zwgk/", taken) == "ordos"
    assert draft.portal_name("http://127.0.0.1:8765/ordos/other/", taken) == "ordos-2"
    block = draft.block(name="x", adapter="generic", title='某"局" 年报', start_url="http://a.gov.cn/nb/home.htm",
                        params={"page_pattern": r"/nb/home(?:_\d+)?\.htm$", "item_selector": 'div[class="r"]'},
                        comment="why\nand more")
    config = draft.check(draft.document([block], True))
    [portal] = config.portal
    assert config.safety.allow_private_addresses and portal.title == '某"局" 年报'
    assert portal.params["page_pattern"] == r"/nb/home(?:_\d+)?\.htm$"
    assert not draft.check(draft.document([block], False)).safety.allow_private_addresses


def test_write_appends_to_a_config_only_when_it_can_take_the_blocks(tmp_path):
    from govreports.portals.config import ConfigError

    block = draft.block(name="x", adapter="trs", title="t", start_url="http://127.0.0.1:1/a/", params={})
    public = tmp_path / "public.toml"
    public.write_text('[[portal]]\nname = "a"\nadapter = "trs"\nstart_url = "http://a.gov.cn/"\n', encoding="utf-8")
    text = draft.merged(public, [block], allow_private_addresses=True)  # no [safety] yet: it is added
    assert tomllib.loads(text)["safety"] == {"allow_private_addresses": True}
    strict = tmp_path / "strict.toml"
    strict.write_text(public.read_text(encoding="utf-8") + "[safety]\nallow_private_addresses = false\n",
                      encoding="utf-8")
    with pytest.raises(ConfigError, match="does not allow private addresses"):
        draft.merged(strict, [block], allow_private_addresses=True)
    assert draft.existing_names(strict) == {"a"} and draft.existing_names(tmp_path / "none" / "new.toml") == set()


def test_a_name_is_taken_by_any_file_of_the_folder_a_run_crawls_with_it(tmp_path):
    """`discover --write` into a new file of config/portals/ checked names against that file only: a name another
    file of the folder already gave left both files out of the next run over the folder."""
    portal = '[[portal]]\nname = "{}"\nadapter = "trs"\nstart_url = "http://{}.gov.cn/"\n'
    (tmp_path / "a.toml").write_text(portal.format("ordos", "a"), encoding="utf-8")
    (tmp_path / "broken.toml").write_text("[[portal]\n", encoding="utf-8")  # gives no portal, to a run or here
    (tmp_path / "notes.txt").write_text(portal.format("skipped", "s"), encoding="utf-8")  # not a config file
    new = tmp_path / "b.toml"
    assert draft.existing_names(new) == {"ordos"}
    taken = draft.existing_names(new)
    assert draft.portal_name("http://127.0.0.1:8765/ordos/zwgk/", taken) == "ordos-2"


def test_write_fills_a_config_that_has_no_portal_yet(tmp_path):
    """A file made for the blocks (`touch x.toml`, or one holding only comments or [politeness]) was refused:
    "--write: x.toml: portal: Field required", exit 2, after the whole walk."""
    block = draft.block(name="x", adapter="trs", title="t", start_url="http://127.0.0.1:1/a/", params={})
    for text in ("", "# the portals of 某市\n", "[politeness]\nper_host_delay = 2.0\n",
                 "[safety]\nallow_private_addresses = true\n"):
        path = tmp_path / "x.toml"
        path.write_text(text, encoding="utf-8")
        assert draft.existing_names(path) == set()
        merged = draft.merged(path, [block], allow_private_addresses=True)
        assert merged.startswith(text)
        loaded = tomllib.loads(merged)
        assert [p["name"] for p in loaded["portal"]] == ["x"] and loaded["safety"]["allow_private_addresses"]
        assert loaded.get("politeness", {}) == tomllib.loads(text).get("politeness", {})


def test_a_written_config_keeps_its_mode_and_a_new_one_gets_the_umasks(tmp_path):
    """The blocks went to a NamedTemporaryFile renamed over the config: 0600 whatever the umask, so a config the
    crawl's service user should read became its writer's alone. Written as `export -o` writes (atomic_output), a
    config keeps its mode and a new one gets what `open` would give it."""
    from govreports.durable import new_file_mode

    kept = tmp_path / "kept.toml"
    kept.write_text("# mine\n", encoding="utf-8")
    kept.chmod(0o644)
    draft.write(kept, "# mine\n# and more\n")
    draft.write(tmp_path / "new.toml", "# new\n")
    assert kept.read_text(encoding="utf-8") == "# mine\n# and more\n" and kept.stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "new.toml").stat().st_mode & 0o777 == new_file_mode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.toml", "new.toml"]
