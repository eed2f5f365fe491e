"""Rewrite README's generated tables, each from its one source (`make readme`).

Checks: course/registry.py and spread.json. Printed numbers: tools/claims.PRINTED.
Mutants: tools/mutants.json. Speed: tools/bench.json. Nothing is measured here.
"""

import json

import bench
import mutants
import printed
import spread


def main():
    spread.write_readme(json.loads(spread.SPREAD_FILE.read_text()))
    spread.replace_in_readme(printed.BEGIN, printed.END, printed.table())
    spread.replace_in_readme(mutants.BEGIN, mutants.END,
                             mutants.table(json.loads(mutants.MUTANTS_FILE.read_text())))
    spread.replace_in_readme(bench.BEGIN, bench.END,
                             bench.table(json.loads(bench.BENCH_FILE.read_text())))
    print("rewrote README's Checks, Printed numbers, Mutants and Speed tables")


if __name__ == "__main__":
    main()
