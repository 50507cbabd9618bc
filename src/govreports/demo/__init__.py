"""A local demo portal imitating the CMS families that publish 政府信息公开工作年度报告 (PORTALS.md §11).

Tests and demos never reach the internet: they crawl this server (TRS /ordos/ and GBK /gbk/, Hanweb /hanweb/,
gkmlpt /gd/, gov.cn-style /govcn/, /custom/ whose lists only CSS selectors read, the chinatax-like /tax/ whose list
is only in a POST API's JSON, and /gate/ behind a JavaScript challenge), whose ground truth is known,
with switchable transport faults. Each site has a home page and a 政府信息公开 hub leading to its report column, next
to look-alike columns (demo.sitemap; /_demo/navigation.json).
"""

from govreports.demo.faults import FaultConfig
from govreports.demo.portal import DemoPortal, DemoReport, RequestLog
from govreports.demo.server import serve_forever

__all__ = ["DemoPortal", "DemoReport", "FaultConfig", "RequestLog", "serve_forever"]
