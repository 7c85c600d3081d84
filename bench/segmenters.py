"""Compare jieba and rjieba on the demo catalogue's titles.

    python bench/segmenters.py

Prints, for each segmenter, the time to cut every title in search mode
(the indexing path) and in precise mode (the query path), and the titles on
which the two disagree.
"""
from __future__ import annotations

import json
import logging
import os
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CATALOG = os.path.join(os.path.dirname(HERE), "demo", "tj-catalog", "datasets.jsonl")
ROUNDS = 20


def main() -> None:
    import jieba
    import rjieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    titles = [json.loads(line)["title_zh"] for line in open(CATALOG, encoding="utf-8")]
    rjieba.cut(titles[0])

    cutters = {
        "jieba search mode": lambda t: [w for w in jieba.cut_for_search(t, HMM=False)],
        "rjieba search mode": lambda t: rjieba.cut_for_search(t, hmm=False),
        "jieba precise mode": lambda t: list(jieba.cut(t, HMM=False)),
        "rjieba precise mode": lambda t: rjieba.cut(t, hmm=False),
    }
    for name, cut in cutters.items():
        start = time.perf_counter()
        for _ in range(ROUNDS):
            for title in titles:
                cut(title)
        elapsed = time.perf_counter() - start
        print("%-22s %8.1f us per title" % (name, elapsed / (ROUNDS * len(titles)) * 1e6))

    differing = 0
    for title in titles:
        a = [w for w in jieba.cut_for_search(title, HMM=False)]
        b = rjieba.cut_for_search(title, hmm=False)
        if a != b:
            differing += 1
            if differing <= 5:
                print("differs: %s\n  jieba  %s\n  rjieba %s" % (title, "/".join(a), "/".join(b)))
    print("%d titles, %d segmented differently in search mode" % (len(titles), differing))


if __name__ == "__main__":
    main()
