"""Portal config files: validated on load, each mistake named with its file and field before any request (the
real portals' configs and the demo's load; a file that would break the crawl does not)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from conftest import ROOT
from govreports.portals.adapters import ADAPTERS
from govreports.portals.config import ConfigError, load_config, load_configs

REAL_CONFIGS = sorted((ROOT / "config" / "portals").glob("*.toml"))


def test_real_portal_configs_are_valid():
    assert len(REAL_CONFIGS) >= 10
    config = load_configs(REAL_CONFIGS)
    assert len({p.name for p in config.portal}) == len(REAL_CONFIGS)
    assert {p.adapter for p in config.portal} == set(ADAPTERS)


def test_demo_config_expands_the_portal_port(monkeypatch):
    from govreports.demo.hosts import url

    monkeypatch.setenv("GOVREPORTS_DEMO_PORT", "9999")
    config = load_config(ROOT / "config" / "demo.toml")
    # each site on its own host (demo/hosts.py), the port from the environment
    assert all(p.start_url == url(urlsplit(p.start_url).path, 9999) + _query(p.start_url) for p in config.portal)
    assert len({urlsplit(p.start_url).hostname for p in config.portal}) == len({p.start_url.split("/")[3]
                                                                                for p in config.portal})
    monkeypatch.delenv("GOVREPORTS_DEMO_PORT")
    assert load_config(ROOT / "config" / "demo.toml").portal[0].start_url.startswith("http://127.0.0.2:8765/")


def _query(url: str) -> str:
    return f"?{urlsplit(url).query}" if urlsplit(url).query else ""


@pytest.mark.parametrize(
    "body,where",
    [
        ('[[portal]]\nname = "x"\nadapter = "wordpress"\nstart_url = "http://a.gov.cn/"\n', "portal[0].adapter"),
        ('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "ftp://a.gov.cn/"\n', "portal[0].start_url"),
        ('[[portal]]\nname = "x"\nadapter = "trs"\n', "portal[0].start_url"),
        ('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a.gov.cn/"\nspeed = 3\n', "portal[0].speed"),
        ('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a.gov.cn/"\ntitle_exclude = "(("\n',
         "portal[0].title_exclude"),
        ('[politeness]\nper_host_delay = -1\n[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\n',
         "politeness.per_host_delay"),
        ('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a.gov.cn/"\nparams = { pages = 3 }\n',
         "portal[0].params"),
        ('[[portal]]\nname = "x"\nadapter = "json-api"\nstart_url = "http://a.gov.cn/"\n', "portal[0].params"),
        ('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\n[[portal]]\nname = "x"\n'
         'adapter = "trs"\nstart_url = "http://b/"\n', "appears twice"),
        ('[[portal]\nname = "x"', "not valid TOML"),
        ('[safety]\nallow_private = true\n[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\n',
         "safety.allow_private"),
        ('[limits]\nparse_deadline = 0\n[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\n',
         "limits.parse_deadline"),
        ('[limits]\nparse_nice = 20\n[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\n',
         "limits.parse_nice"),
        ('[politeness]\ntotal_timeout = -5\n[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\n',
         "politeness.total_timeout"),
        ('[incremental]\nrecheck_days = 0\n[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\n',
         "incremental.recheck_days"),
        ('[incremental]\nrecheckdays = 3\n[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\n',
         "incremental.recheckdays: Extra inputs are not permitted (valid keys: recheck_days)"),
        # adapter parameters of the wrong type, or that cannot work: before, each passed and crashed the listing
        ('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\nparams = { page_offset = "1" }\n',
         "portal[0].params: page_offset: a whole number expected, not '1'"),
        ('[[portal]]\nname = "x"\nadapter = "hanweb"\nstart_url = "http://a/"\nparams = { per_request = "many" }\n',
         "portal[0].params: per_request: a whole number expected, not 'many'"),
        ('[[portal]]\nname = "x"\nadapter = "generic"\nstart_url = "http://a/"\nparams = { first_page = "two" }\n',
         "portal[0].params: first_page: a whole number expected"),
        ('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\nparams = { page_name = 3 }\n',
         "portal[0].params: page_name: text (in quotes) expected, not 3"),
        ('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\nparams = { article_pattern = "((" }\n',
         "portal[0].params: article_pattern: invalid regular expression"),
        ('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\nparams = { page_ext = ".shtml" }\n',
         "portal[0].params: page_ext: the extension without its dot"),
        # a number written as text, or true, was taken as a number (max_pages = "5" read 5, true read 1); a
        # negative page offset asked for index_-1.html every night
        ('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\nmax_pages = "5"\n',
         "portal[0].max_pages: Input should be a valid integer"),
        ('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\nmax_pages = true\n',
         "portal[0].max_pages: Input should be a valid integer"),
        ('[politeness]\nper_host_concurrency = "4"\n[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\n',
         "politeness.per_host_concurrency: Input should be a valid integer"),
        ('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\nparams = { page_offset = -1 }\n',
         "portal[0].params: page_offset: 0 (index_1 is page 2) or more, not -1"),
        ('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a.gov.cn:99999/"\n',
         "portal[0].start_url: Value error, Port out of range 0-65535"),
        ('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http:// a.gov.cn/"\n',
         "portal[0].start_url: Value error, a blank in the host"),
        ('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\nallowed_hosts = ["http://b.gov.cn/"]\n',
         "portal[0].allowed_hosts: Value error, 'http://b.gov.cn/' is not a host"),
        ('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\nattachment_hosts = ["*.a.gov.cn"]\n',
         "portal[0].attachment_hosts: Value error, '*.a.gov.cn' is not a host"),
        ('[politeness]\nper_host_delay = inf\n[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\n',
         "politeness.per_host_delay: Input should be a finite number"),
        ('[limits]\nparse_deadline = inf\n[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\n',
         "limits.parse_deadline: Input should be a finite number"),
        ("portal = []\n", "portal: List should have at least 1 item"),
        # a header value: passed by --check, then a traceback once the crawl began (exit 1)
        ('[politeness]\nuser_agent = " "\n[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\n',
         "politeness.user_agent: Value error, a blank User-Agent"),
        ('[politeness]\nuser_agent = "年报爬虫/1.0"\n[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\n',
         "politeness.user_agent: Value error, '年报爬虫/1.0' is not printable ASCII"),
        ('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\nrobots_unreachable = "ignore"\n',
         "portal[0].robots_unreachable: Input should be 'disallow' or 'allow'"),
        ('[politeness]\nrefetch_after_days = -1\n[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\n',
         "politeness.refetch_after_days: Input should be greater than or equal to 0"),
    ],
)
def test_config_errors_name_file_and_field(tmp_path, body, where):
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value) and where in str(err.value)


def test_safety_must_agree_across_a_directory(tmp_path):
    """One file allowing private addresses must not open them for every portal of the directory."""
    from govreports.portals.config import load_configs

    portal = '[[portal]]\nname = "{}"\nadapter = "trs"\nstart_url = "http://{}.gov.cn/"\n'
    (tmp_path / "a.toml").write_text(portal.format("a", "a"), encoding="utf-8")
    (tmp_path / "b.toml").write_text("[safety]\nallow_private_addresses = true\n" + portal.format("b", "b"),
                                     encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_configs(sorted(tmp_path.glob("*.toml")))
    assert "b.toml: [safety] differs from" in str(err.value)
    assert load_configs([tmp_path / "a.toml"]).safety.allow_private_addresses is False  # the default: refused


def test_a_config_file_not_in_utf_8_is_named_with_its_line_and_one_with_a_byte_order_mark_loads(tmp_path):
    body = '[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a.gov.cn/"\ntitle = "测试"\n'
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes(body.encode("gbk"))
    with pytest.raises(ConfigError, match=r"gbk\.toml: not UTF-8 \(byte 0xb2 on line 5\): save the file as UTF-8"):
        load_config(gbk)
    bom = tmp_path / "bom.toml"
    bom.write_bytes(body.encode("utf-8-sig"))
    assert load_config(bom).portal[0].title == "测试"
    bom.write_bytes(b"\xef\xbb\xbf" + body.encode("gbk"))  # both: the line counted in the file as written
    with pytest.raises(ConfigError, match=r"\(byte 0xb2 on line 5\)"):
        load_config(bom)


def test_two_files_of_a_directory_naming_one_portal_are_a_config_error_naming_both(tmp_path):
    """Before, the merge raised pydantic's ValidationError: a traceback and exit 1, and no file named. `discover
    --write` into two files of a directory makes this by itself (both drafts name the site)."""
    from govreports.paths import config_files

    portal = '[[portal]]\nname = "{}"\nadapter = "trs"\nstart_url = "http://{}.gov.cn/"\n'
    (tmp_path / "a.toml").write_text(portal.format("x", "a"), encoding="utf-8")
    (tmp_path / "b.toml").write_text(portal.format("y", "b") + portal.format("x", "c"), encoding="utf-8")
    with pytest.raises(ConfigError) as err:  # both files named: which came first decides nothing
        load_configs(config_files(tmp_path))
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    assert str(err.value) == (f"{a}: portal[0].name: 'x' is also the name of a portal in {b}; each file that gives it "
                              f"is left out until every portal has a name of its own; {b}: portal[1].name: 'x' is "
                              f"also the name of a portal in {a}; each file that gives it is left out until every "
                              "portal has a name of its own")
    (tmp_path / "b.toml").write_text(portal.format("y", "b"), encoding="utf-8")
    (tmp_path / "C.TOML").write_text(portal.format("z", "c"), encoding="utf-8")  # saved on Windows: not skipped
    assert [p.name for p in load_configs(config_files(tmp_path)).portal] == ["z", "x", "y"]


def test_unknown_keys_and_params_list_the_valid_names(tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a.gov.cn/"\nstarturl = "y"\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"portal\[0\]\.starturl: .*valid keys: name, adapter, start_url"):
        load_config(path)
    path.write_text('[politeness]\ndelay = 1\n[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"politeness\.delay: .*valid keys: .*per_host_delay"):
        load_config(path)
    path.write_text('[[portal]]\nname = "x"\nadapter = "generic"\nstart_url = "http://a/"\n'
                    'params = { item_selecter = "li" }\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"item_selecter; this adapter takes: .*item_selector.*next_selector"):
        load_config(path)


@pytest.mark.parametrize("params,problem", [
    ('{ item_selector = "div[" }', "item_selector: not a CSS selector"),
    ('{ title_selector = "span.t" }', "need(s) item_selector"),
    ('{ page_pattern = "((" }', "page_pattern: invalid regular expression"),
])
def test_generic_params_are_checked_on_load(tmp_path, params, problem):
    path = tmp_path / "bad.toml"
    path.write_text(f'[[portal]]\nname = "x"\nadapter = "generic"\nstart_url = "http://a/"\nparams = {params}\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "portal[0].params" in str(err.value) and problem in str(err.value)


# A list no family knows (rows of spans, the full title only in an attribute, "查看" links, a "›" pager) and broken
# markup a browser forgives: unclosed <div>s.


def test_page_template_is_checked_on_load(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[[portal]]\nname = "x"\nadapter = "generic"\nstart_url = "http://a/"\n'
                    'params = { page_template = "index.html" }\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="page_template must contain"):
        load_config(path)


def test_a_run_over_a_directory_leaves_out_each_file_that_cannot_be_used_with_why(tmp_path):
    """skip_unusable (a run over a directory, runs.jobs.load): a file that does not load, whose [safety] differs
    from most files', or that gives a portal name another file gives (each such file) is left out with its reason,
    and the other files' portals stay; without it the first such file is the error, as it was."""
    from govreports.paths import config_files
    from govreports.runs.jobs import load

    portal = '[[portal]]\nname = "{}"\nadapter = "trs"\nstart_url = "http://{}.gov.cn/"\n'
    (tmp_path / "a.toml").write_text("[politeness]\nper_host_delay = 2.5\n" + portal.format("a", "a"),
                                     encoding="utf-8")
    (tmp_path / "b.toml").write_text(portal.format("b", "b") + "max_pages = 0\n", encoding="utf-8")
    (tmp_path / "c.toml").write_text("[safety]\nallow_private_addresses = true\n" + portal.format("c", "c"),
                                     encoding="utf-8")
    (tmp_path / "d.toml").write_text(portal.format("d", "d") + portal.format("a", "x"), encoding="utf-8")
    (tmp_path / "e.toml").write_text(portal.format("e", "e"), encoding="utf-8")
    paths = config_files(tmp_path)
    with pytest.raises(ConfigError, match=r"b\.toml: portal\[0\]\.max_pages: "):
        load_configs(paths)
    config = load_configs(paths, skip_unusable=True)
    assert [p.name for p in config.portal] == ["e"]
    assert [p for p, _ in config.unusable] == [str(tmp_path / f"{n}.toml") for n in "abcd"]
    reasons = [reason for _, reason in config.unusable]
    a, d = tmp_path / "a.toml", tmp_path / "d.toml"
    assert reasons[0] == (f"{a}: portal[0].name: 'a' is also the name of a portal in {d}; each file that gives it is "
                          "left out until every portal has a name of its own")
    assert reasons[1].startswith(f"{tmp_path / 'b.toml'}: portal[0].max_pages: ")
    assert reasons[2] == (f"{tmp_path / 'c.toml'}: [safety] differs from the one most of the directory's files "
                          "have (3 of 4); crawl its portals separately (--config FILE)")
    assert reasons[3].startswith(f"{d}: portal[1].name: 'a' is also the name of a portal in {a}; ")
    assert config.politeness.per_host_delay == 2.5  # the first file's settings, though its portal is left out
    assert config.left_out(None) == config.unusable and config.left_out(["e"]) is None
    assert [p for p, _ in load(tmp_path).unusable] == [p for p, _ in config.unusable]  # a directory, run: lenient
    with pytest.raises(ConfigError):
        load(tmp_path, strict=True)  # `crawl --check`
    with pytest.raises(ConfigError):
        load(tmp_path / "b.toml")  # one file, named: it is the whole run
    (tmp_path / "a.toml").write_text('_unusable = ["x"]\n' + portal.format("a", "a"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"a\.toml: _unusable: Extra inputs are not permitted"):
        load_config(tmp_path / "a.toml")  # the list is the loader's, not a file's to set


def test_which_file_is_left_out_does_not_depend_on_which_sorts_first(tmp_path):
    """A new file that sorted first decided for the whole directory: its [safety] left out every other file, and
    its portal name took over an established portal's (its history went on under another site); a broken first
    file stopped every portal. The file whose [safety] differs from most is left out, wherever it sorts (on a tie,
    the one that is not the default), and `--check` names that same file; the first file's settings apply even
    when its own portals cannot be used, and the defaults when they cannot be read either."""
    from govreports.paths import config_files

    portal = '[[portal]]\nname = "{}"\nadapter = "trs"\nstart_url = "http://{}.gov.cn/"\n'
    for name in "xyz":
        (tmp_path / f"20_{name}.toml").write_text(portal.format(name, name), encoding="utf-8")
    (tmp_path / "05_intranet.toml").write_text("[politeness]\nper_host_delay = 4\n[safety]\nallow_private_addresses"
                                               " = true\n" + portal.format("i", "i"), encoding="utf-8")
    config = load_configs(config_files(tmp_path), skip_unusable=True)
    assert [p.name for p in config.portal] == ["x", "y", "z"]
    assert [p for p, _ in config.unusable] == [str(tmp_path / "05_intranet.toml")]
    assert config.safety.allow_private_addresses is False and config.politeness.per_host_delay == 4
    with pytest.raises(ConfigError) as err:  # `crawl --check`: the same file, for the same reason
        load_configs(config_files(tmp_path))
    assert str(err.value) == config.unusable[0][1]
    (tmp_path / "20_y.toml").unlink()
    (tmp_path / "20_z.toml").unlink()  # one against one: the default is kept, whichever sorts first
    assert [p for p, _ in load_configs(config_files(tmp_path), skip_unusable=True).unusable] == [
        str(tmp_path / "05_intranet.toml")]
    for name in "yz":
        (tmp_path / f"20_{name}.toml").write_text(portal.format(name, name), encoding="utf-8")
    (tmp_path / "05_intranet.toml").write_text("[politeness]\nper_host_delay = 4\n" + portal.format("i", "i")
                                               + "bogus = 1\n", encoding="utf-8")
    config = load_configs(config_files(tmp_path), skip_unusable=True)
    assert [p.name for p in config.portal] == ["x", "y", "z"] and config.politeness.per_host_delay == 4
    (tmp_path / "05_intranet.toml").write_text("[[portal]\n", encoding="utf-8")
    config = load_configs(config_files(tmp_path), skip_unusable=True)
    assert [p.name for p in config.portal] == ["x", "y", "z"] and config.politeness.per_host_delay == 1.0
    assert config.unusable[0][1].endswith("; its [politeness], [limits] and [incremental], which the directory's "
                                          "first file gives every portal, could not be read either, so the "
                                          "defaults apply")


def test_a_list_url_on_a_host_the_portal_does_not_name_is_a_config_error(tmp_path):
    """gov.cn's search API is on sousuo.www.gov.cn, its column on www.gov.cn (PORTALS.md §6): a json-api block
    whose list_url is on another host than start_url passed `crawl --check`, and then every list page failed
    host_not_allowed, the portal unreachable. The host is named on load, with the fix; once in allowed_hosts (or
    on start_url's host, or relative to it) the file loads. So for a generic page_template written absolute."""
    block = ('[[portal]]\nname = "x"\nadapter = "json-api"\nstart_url = "https://www.gov.cn/zhengce/xxgknb/"\n'
             'params = { list_url = "https://sousuo.www.gov.cn/search-gov/data?t=zhengce&p={page}" }\n')
    path = tmp_path / "govcn.toml"
    path.write_text(block, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"govcn.toml: portal\[0\].params: list_url: its host sousuo.www.gov.cn is "
                                          r"not start_url's and not in allowed_hosts"):
        load_config(path)
    path.write_text(block + 'allowed_hosts = ["sousuo.www.gov.cn"]\n', encoding="utf-8")
    assert load_config(path).portal[0].params["list_url"].startswith("https://sousuo.www.gov.cn/")
    for list_url in ("/search-gov/data?p={page}", "https://WWW.gov.cn:443/api?p={page}"):
        path.write_text(block.replace("https://sousuo.www.gov.cn/search-gov/data?t=zhengce&p={page}", list_url),
                        encoding="utf-8")
        assert load_config(path).portal[0].params["list_url"] == list_url
    path.write_text('[[portal]]\nname = "x"\nadapter = "generic"\nstart_url = "http://a.gov.cn/nb/1.html"\n'
                    'params = { page_template = "http://b.gov.cn/nb/{page}.html" }\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"page_template: its host b.gov.cn is not start_url's"):
        load_config(path)


def test_a_portal_s_hosts_are_compared_as_the_fetcher_sees_them(tmp_path):
    """httpx drops a default port and host names are case-blind: "host:80" in a config matched no URL, so the start
    page failed host_not_allowed after `crawl --check` passed it, and list links written with :80 were never asked."""
    from govreports.fetch.policy import url_host_in

    path = tmp_path / "p.toml"
    path.write_text('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://Www.A.gov.cn:80/col/"\n'
                    'allowed_hosts = ["zwgk.a.gov.cn:443", "files.a.gov.cn:8080"]\n', encoding="utf-8")
    hosts = load_config(path).portal[0].hosts
    assert hosts == {"www.a.gov.cn", "zwgk.a.gov.cn", "files.a.gov.cn:8080"}
    for url in ("http://www.a.gov.cn/x.html", "http://WWW.a.gov.cn:80/x.html", "https://zwgk.a.gov.cn:443/y.pdf",
                "http://www.a.gov.cn:8081/z"):  # a bare host means any port
        assert url_host_in(hosts, url), url
    for url in ("http://files.a.gov.cn/x.pdf", "http://files.a.gov.cn:8081/x.pdf", "http://b.gov.cn/"):
        assert not url_host_in(hosts, url), url


def test_a_config_directory_leaves_out_hidden_files_editors_leave_there(tmp_path):
    """An editor's lock or backup file in config/portals/ (emacs `.#x.toml`, a `._x.toml` macOS writes on shared
    drives) was read as a config of its own: not TOML, so the directory's run left it out as unusable and exited 1
    every night the editor had the file open."""
    from govreports.paths import config_files

    (tmp_path / "x.toml").write_text('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a.gov.cn/"\n',
                                     encoding="utf-8")
    (tmp_path / ".#x.toml").symlink_to("root@host.1234:1700000000")  # what emacs writes: a dangling link
    (tmp_path / "._x.toml").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X")
    assert config_files(tmp_path) == [tmp_path / "x.toml"]
    assert [p.name for p in load_configs(config_files(tmp_path)).portal] == ["x"]


def test_a_variable_left_unset_in_a_url_is_named(tmp_path, monkeypatch):
    """`${DEMO_URL}/index.html` with DEMO_URL unset read "not an http(s) URL: '/index.html'": the variable, the one
    thing to fix, was not named."""
    monkeypatch.delenv("GOVREPORTS_TEST_UNSET_URL", raising=False)
    path = tmp_path / "x.toml"
    path.write_text('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "${GOVREPORTS_TEST_UNSET_URL}/index.html"\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "GOVREPORTS_TEST_UNSET_URL" in str(err.value) and "start_url" in str(err.value)
    monkeypatch.setenv("GOVREPORTS_TEST_UNSET_URL", "http://a.gov.cn")
    assert load_config(path).portal[0].start_url == "http://a.gov.cn/index.html"


def test_refetch_after_days_reaches_the_fetch_policy(tmp_path):
    from govreports.crawl.pipeline import policy_for

    path = tmp_path / "p.toml"
    path.write_text('[politeness]\nrefetch_after_days = 7\n[[portal]]\nname = "x"\nadapter = "trs"\n'
                    'start_url = "http://a/"\n', encoding="utf-8")
    config = load_config(path)
    assert policy_for(config, config.portal).refetch_after_days == 7
    path.write_text('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a/"\n', encoding="utf-8")
    config = load_config(path)
    assert policy_for(config, config.portal).refetch_after_days == 30


def test_robots_unreachable_allow_names_the_portal_s_hosts_to_the_fetch_policy(tmp_path):
    from govreports.crawl.pipeline import policy_for

    path = tmp_path / "p.toml"
    path.write_text('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a.gov.cn/"\n'
                    'attachment_hosts = ["f.a.gov.cn"]\nrobots_unreachable = "allow"\n'
                    '[[portal]]\nname = "y"\nadapter = "trs"\nstart_url = "http://b.gov.cn/"\n', encoding="utf-8")
    config = load_config(path)
    assert [p.robots_unreachable for p in config.portal] == ["allow", "disallow"]
    assert policy_for(config, config.portal).robots_unreachable_allow == {"a.gov.cn", "f.a.gov.cn"}
    assert policy_for(config, config.portal[1:]).robots_unreachable_allow == frozenset()
