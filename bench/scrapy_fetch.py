"""Scrapy's fetch-only rate on a URL list (run by bench/crawl_speed.py in its own process: Twisted's reactor
starts once per process). Settings match the crawler's bench run: N connections (all to one host), no delay,
no AutoThrottle, robots.txt obeyed, responses dropped in the callback. Prints one JSON line:
{"responses": n, "seconds": s} timed from the first request to the last response.

    python bench/scrapy_fetch.py URLS_FILE --connections 16
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("urls")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    urls = [u for u in open(args.urls, encoding="utf-8").read().split() if u]

    import scrapy
    from scrapy.crawler import CrawlerProcess

    seen = {"n": 0, "t0": None, "t1": None}

    class FetchOnly(scrapy.Spider):
        name = "fetch_only"

        async def start(self):
            seen["t0"] = time.perf_counter()
            for url in urls:
                yield scrapy.Request(url, callback=self.parse, dont_filter=True)

        def start_requests(self):  # Scrapy < 2.13
            seen["t0"] = time.perf_counter()
            for url in urls:
                yield scrapy.Request(url, callback=self.parse, dont_filter=True)

        def parse(self, response):
            seen["n"] += 1
            seen["t1"] = time.perf_counter()

    process = CrawlerProcess(settings={
        "CONCURRENT_REQUESTS": args.connections, "CONCURRENT_REQUESTS_PER_DOMAIN": args.connections,
        "DOWNLOAD_DELAY": 0, "RANDOMIZE_DOWNLOAD_DELAY": False, "AUTOTHROTTLE_ENABLED": False,
        "ROBOTSTXT_OBEY": True, "LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False,
        "USER_AGENT": "govreports-bench (scrapy)", "HTTPCACHE_ENABLED": False,
    })
    process.crawl(FetchOnly)
    process.start()
    print(json.dumps({"responses": seen["n"], "seconds": (seen["t1"] or 0) - (seen["t0"] or 0)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
